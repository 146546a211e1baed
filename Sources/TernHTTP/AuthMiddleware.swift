import Foundation
import HTTPTypes
import Hummingbird
import TernAgent
import TernCore

/// Authenticates every API request through the ``IdentityResolver`` and picks its context.
///
/// Reads `Authorization: Bearer <key>`, Open WebUI's forwarded user and chat id
/// (``OpenWebUIIdentity``; trusted only with a proxy key, which then must name a user) and
/// `X-Tern-Context: <name>`.
package struct AuthMiddleware: RouterMiddleware {
    package typealias Context = TernRequestContext

    package static let contextHeader = HTTPField.Name("X-Tern-Context")!

    private let resolver: IdentityResolver

    package init(resolver: IdentityResolver) {
        self.resolver = resolver
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

/// Lets only admins through (after ``AuthMiddleware``).
package struct AdminOnlyMiddleware: RouterMiddleware {
    package typealias Context = TernRequestContext

    package init() {}

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard try context.requireIdentity().user.role == .admin else {
            throw APIError(
                status: .forbidden, message: "this endpoint is for admins only", type: "permission_error",
                code: "admin_required")
        }
        return try await next(request, context)
    }
}
