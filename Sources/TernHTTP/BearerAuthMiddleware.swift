import Foundation
import Hummingbird
import TernCore

/// Authenticates `Authorization: Bearer <key>` against the configured API keys.
///
/// Every configured key is compared, in constant time, so neither timing nor which key matched
/// leaks. With no keys configured the API is open; configuration refuses to bind such a server
/// to anything but loopback.
package struct BearerAuthMiddleware: RouterMiddleware {
    package typealias Context = TernRequestContext
    private let keys: [String]

    package init(keys: [String]) {
        self.keys = keys
    }

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        if keys.isEmpty {
            context.identity = Identity(user: .localUser, context: .defaultContext)
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            throw APIError(
                status: .unauthorized, message: "missing Authorization header; send 'Authorization: Bearer <api key>'",
                type: "authentication_error", code: "missing_api_key", headers: [.wwwAuthenticate: "Bearer"])
        }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix else {
            throw APIError(
                status: .unauthorized, message: "the Authorization header must be 'Bearer <api key>'",
                type: "authentication_error", code: "invalid_api_key", headers: [.wwwAuthenticate: "Bearer"])
        }
        let presented = header.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        var matched = false
        for key in keys {
            // No early exit: the time taken does not depend on which key matched.
            matched = constantTimeEquals(presented, key) || matched
        }
        guard matched else {
            throw APIError(
                status: .unauthorized, message: "invalid API key", type: "authentication_error",
                code: "invalid_api_key", headers: [.wwwAuthenticate: "Bearer"])
        }
        context.identity = Identity(user: .localUser, context: .defaultContext)
        return try await next(request, context)
    }
}
