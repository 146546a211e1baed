package import Foundation
package import Hummingbird
package import Logging
import NIOCore
import Synchronization

/// Raises the body cap of the routes it wraps (the OpenAI chat routes, `TERN_MAX_BODY_MB`) and
/// refuses a declared `Content-Length` above it before reading a byte.
package struct ChatBodyLimitMiddleware: RouterMiddleware {
    package typealias Context = TernRequestContext
    /// The cap, in bytes.
    package let maxBytes: Int

    package init(maxBytes: Int) { self.maxBytes = maxBytes }

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.maxUploadSize = maxBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBytes {
            throw OversizedBody(limit: maxBytes, setting: "TERN_MAX_BODY_MB", closeConnection: true)
        }
        do {
            return try await next(request, context)
        } catch is NIOTooManyBytesError {
            throw OversizedBody(limit: maxBytes, setting: "TERN_MAX_BODY_MB", closeConnection: false)
        }
    }
}

/// A body over a route's cap, answered 413 by ``OversizedBodyMiddleware``.
struct OversizedBody: Error {
    var limit: Int
    /// The configuration key that sets the cap, if one does.
    var setting: String?
    /// Unread bytes are not worth draining: the answer closes the connection.
    var closeConnection: Bool
}

/// Answers every body over its route's cap with 413 in OpenAI's error shape naming the limit,
/// never 500, and logs it at most once per client per ``LogThrottle/interval``.
package struct OversizedBodyMiddleware: RouterMiddleware {
    package typealias Context = TernRequestContext
    let connections: ConnectionWatch
    let throttle: LogThrottle

    package init(connections: ConnectionWatch, throttle: LogThrottle = LogThrottle(interval: .seconds(60))) {
        self.connections = connections
        self.throttle = throttle
    }

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let oversized: OversizedBody
        do {
            return try await next(request, context)
        } catch let error as OversizedBody {
            oversized = error
        } catch let error as NIOTooManyBytesError {
            // NIO reports what was left after the first fragment, not the cap; the JSON API
            // routes all read through JSONBody's cap.
            let limit = max(error.maxBytes ?? 0, Self.jsonBodyLimit)
            oversized = OversizedBody(limit: limit, setting: nil, closeConnection: false)
        }
        let client = connections.clientAddress(of: request, context: context)
        if throttle.allows(client) {
            context.logger.warning(
                "request body over the limit refused (413); further ones from this client are not logged for a minute",
                metadata: [
                    "client": "\(client)", "path": "\(request.uri.path)", "limit_bytes": "\(oversized.limit)",
                ])
        }
        let where_ = oversized.setting.map { " (set by \($0))" } ?? ""
        throw APIError(
            status: .contentTooLarge,
            message: "the request body is larger than \(Self.describe(oversized.limit)), the most this endpoint accepts\(where_)",
            code: "request_too_large",
            headers: oversized.closeConnection ? [.connection: "close"] : [:])
    }

    /// The cap of the JSON API routes (agent, approvals, admin), as read by `JSONBody`.
    static let jsonBodyLimit = 64 * 1024

    /// `4 MiB`, `64 KiB`, `100 bytes`.
    static func describe(_ bytes: Int) -> String {
        if bytes >= 1024 * 1024, bytes % (1024 * 1024) == 0 { return "\(bytes / (1024 * 1024)) MiB" }
        if bytes >= 1024, bytes % 1024 == 0 { return "\(bytes / 1024) KiB" }
        return "\(bytes) bytes"
    }
}

/// Lets one log line per key through per interval; remembers a bounded number of keys.
package final class LogThrottle: Sendable {
    /// The quiet time after a line for the same key.
    package let interval: Duration
    private let maxKeys: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let last = Mutex<[String: ContinuousClock.Instant]>([:])

    /// - Parameter now: the clock, injected for tests.
    package init(
        interval: Duration, maxKeys: Int = 4096,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.interval = interval
        self.maxKeys = maxKeys
        self.now = now
    }

    /// Whether a line for `key` may be logged now (and, if so, starts its quiet time).
    package func allows(_ key: String) -> Bool {
        let time = now()
        return last.withLock { last in
            if let previous = last[key], time < previous + interval { return false }
            if last.count >= maxKeys {
                // Keys past their quiet time are worth nothing; if none are, forget them all
                // rather than grow without bound.
                last = last.filter { time < $0.value + interval }
                if last.count >= maxKeys { last.removeAll() }
            }
            last[key] = time
            return true
        }
    }
}
