package import Foundation
package import HTTPTypes
package import Hummingbird
package import Logging
import Synchronization
package import TernAgent
package import TernCore

/// Authenticates every API request through the ``IdentityResolver`` and picks its context.
///
/// Reads `Authorization: Bearer <key>`, Open WebUI's forwarded user and chat id
/// (``OpenWebUIIdentity``; trusted only with a proxy key, which then must name a user) and
/// `X-Tern-Context: <name>`.
package struct AuthMiddleware: RouterMiddleware {
    package typealias Context = TernRequestContext

    package static let contextHeader = HTTPField.Name("X-Tern-Context")!

    private let resolver: IdentityResolver
    private let refusals: RefusalLog

    package init(resolver: IdentityResolver, logger: Logger = Logger(label: "tern.http.auth")) {
        self.resolver = resolver
        refusals = RefusalLog(logger: logger)
    }

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let bearer = try Self.bearer(in: request)
        let forwarded = OpenWebUIIdentity.credentials(in: request.headers)
        do {
            context.identity = try await resolver.resolve(
                bearer: bearer, forwarded: forwarded, contextName: request.headers[Self.contextHeader])
        } catch IdentityError.forwardedIdentity(let why) {
            // A misconfigured front end fails every request: say so in Tern's log too (once a
            // minute), since the front end may not show the answer to anyone.
            refusals.note(why)
            let namesNobody = forwarded.user == nil && forwarded.token == nil
            guard namesNobody, request.method == .get, request.uri.path.hasSuffix("/v1/models") else {
                throw APIError(IdentityError.forwardedIdentity(why))
            }
            context.unidentifiedProxy = true
        } catch let error as IdentityError {
            throw APIError(error)
        }
        return try await next(request, context)
    }

    static func bearer(in request: Request) throws -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix else {
            throw APIError(
                status: .unauthorized, message: "the Authorization header must be 'Bearer <api key>'",
                type: "authentication_error", code: "invalid_api_key", headers: [.wwwAuthenticate: "Bearer"])
        }
        return header.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
    }
}

extension APIError {
    /// The answer for a caller who could not be resolved.
    package init(_ error: IdentityError) {
        switch error {
        case .unauthenticated(let why):
            self.init(
                status: .unauthorized, message: why, type: "authentication_error",
                code: why.contains("missing") ? "missing_api_key" : "invalid_api_key",
                headers: [.wwwAuthenticate: "Bearer"])
        case .forwardedIdentity(let why):
            self.init(
                status: .unauthorized, message: why, type: "authentication_error", code: "invalid_forwarded_user",
                headers: [.wwwAuthenticate: "Bearer"])
        case .forbidden(let why):
            self.init(status: .forbidden, message: why, type: "permission_error", code: "forbidden")
        case .unknownContext(let why):
            self.init(status: .notFound, message: why, code: "context_not_found")
        }
    }
}

/// Lets only callers who may use the admin API through (after ``AuthMiddleware``): admins, and to
/// the context-scoped routes anyone else (limited keys, owners), whose scope every admin handler
/// then checks through ``AdminScope``.
package struct AdminOnlyMiddleware: RouterMiddleware {
    package typealias Context = TernRequestContext

    package init() {}

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let identity = try context.requireIdentity()
        guard AdminScope.mayEnter(identity, path: request.uri.path) else {
            throw identity.restrictedTo == nil ? AdminScope.adminRequired : AdminScope.limitedKeyRefused
        }
        return try await next(request, context)
    }
}

/// Logs refused proxy requests at warning, at most once a minute per reason.
final class RefusalLog: Sendable {
    private let logger: Logger
    private let last = Mutex<[String: ContinuousClock.Instant]>([:])

    init(logger: Logger) {
        self.logger = logger
    }

    func note(_ reason: String) {
        let now = ContinuousClock.now
        let due = last.withLock { last in
            if let previous = last[reason], now - previous < .seconds(60) { return false }
            if last.count > 64 { last.removeAll() }  // reasons are a handful of fixed texts; stay bounded
            last[reason] = now
            return true
        }
        if due { logger.warning("trusted proxy request refused", metadata: ["reason": "\(reason)"]) }
    }
}
