import AsyncHTTPClient
package import Foundation
import NIOCore
import NIOHTTP1
import TernCore

/// The only HTTP client tools use for user-supplied URLs. Every hop (the first request and each
/// redirect) is authorised by the ``NetworkGuard`` and the connection is pinned to the checked
/// address (`dnsOverride`), so DNS rebinding cannot swap in another one; TLS still validates the
/// original host name. Redirects are followed here, at most ``Limits/maxRedirects``; the body is
/// capped in bytes and the whole fetch in time.
package struct GuardedHTTPClient: Sendable {
    /// Bounds of one fetch.
    package struct Limits: Sendable, Equatable {
        package var maxBytes: Int
        package var timeout: Duration
        package var maxRedirects: Int

        package init(maxBytes: Int = 5 * 1024 * 1024, timeout: Duration = .seconds(20), maxRedirects: Int = 5) {
            self.maxBytes = maxBytes
            self.timeout = timeout
            self.maxRedirects = maxRedirects
        }
    }

    /// What a fetch returned.
    package struct Response: Sendable, Equatable {
        /// The URL that answered (after redirects).
        package var url: String
        package var status: Int
        package var contentType: String?
        package var body: Data
        /// The URLs redirected from, in order.
        package var redirects: [String]
    }

    /// Why a fetch failed; each case names the URL.
    package enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case refused(NetworkPolicyError)
        case tooManyRedirects(url: String, limit: Int)
        case badRedirect(url: String, location: String)
        case tooLarge(url: String, limit: Int)
        case timedOut(url: String, after: Duration)
        case connection(url: String, reason: String)

        package var description: String {
            switch self {
            case .refused(let error): "\(error)"
            case .tooManyRedirects(let url, let limit): "\(url) redirected more than \(limit) times"
            case .badRedirect(let url, let location): "\(url) redirected to an unusable location '\(location)'"
            case .tooLarge(let url, let limit): "\(url) sent more than \(limit) bytes"
            case .timedOut(let url, let after): "\(url) did not answer within \(after.shortDescription)"
            case .connection(let url, let reason): "could not fetch \(url): \(reason)"
            }
        }
    }

    package let networkGuard: NetworkGuard
    package var limits: Limits
    package var userAgent: String

    package init(networkGuard: NetworkGuard, limits: Limits = Limits(), userAgent: String = "Tern") {
        self.networkGuard = networkGuard
        self.limits = limits
        self.userAgent = userAgent
    }

    /// `GET url`, following redirects through the guard.
    package func get(_ url: String, accept: String = "*/*") async throws(Failure) -> Response {
        let limits = self.limits
        do {
            return try await withTimeLimit(limits.timeout, orThrow: { Failure.timedOut(url: url, after: limits.timeout) }) {
                try await self.follow(url, accept: accept)
            }
        } catch let failure as Failure {
            throw failure
        } catch is CancellationError {
            throw .connection(url: url, reason: "cancelled")
        } catch {
            throw .connection(url: url, reason: "\(error)")
        }
    }

    private func follow(_ start: String, accept: String) async throws -> Response {
        var current = start
        var redirects: [String] = []
        while true {
            let target: AuthorizedTarget
            do {
                target = try await networkGuard.authorize(current)
            } catch {
                throw Failure.refused(error)
            }
            let response = try await fetchOnce(target, accept: accept)
            guard (300...399).contains(response.status), response.status != 304, let location = response.location else {
                return Response(
                    url: current, status: response.status, contentType: response.contentType, body: response.body,
                    redirects: redirects)
            }
            guard redirects.count < limits.maxRedirects else {
                throw Failure.tooManyRedirects(url: start, limit: limits.maxRedirects)
            }
            guard let next = URL(string: location, relativeTo: URL(string: current))?.absoluteURL.absoluteString else {
                throw Failure.badRedirect(url: current, location: location)
            }
            redirects.append(current)
            current = next
        }
    }

    private struct Hop {
        var status: Int
        var contentType: String?
        var location: String?
        var body: Data
    }

    /// One request to the pinned address, no redirects.
    private func fetchOnce(_ target: AuthorizedTarget, accept: String) async throws -> Hop {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(15))
        if case .name(let name) = target.target.normalizedHost {
            configuration.dnsOverride = [name: target.address.description]
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let url = "\(target.target.scheme)://\(target.target.hostHeader)\(target.target.requestTarget)"
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "User-Agent", value: userAgent)
            request.headers.add(name: "Accept", value: accept)
            let response = try await client.execute(request, timeout: .seconds(Int64(limits.timeout.timeInterval.rounded(.up))))
            var body = Data()
            for try await chunk in response.body {
                guard body.count + chunk.readableBytes <= limits.maxBytes else {
                    throw Failure.tooLarge(url: target.target.url, limit: limits.maxBytes)
                }
                body.append(contentsOf: chunk.readableBytesView)
            }
            try await client.shutdown()
            return Hop(
                status: Int(response.status.code), contentType: response.headers.first(name: "content-type"),
                location: response.headers.first(name: "location"), body: body)
        } catch {
            try? await client.shutdown()  // the request's error is the one worth reporting
            if error is Failure || error is CancellationError { throw error }
            throw Failure.connection(url: target.target.url, reason: "\(error)")
        }
    }
}
