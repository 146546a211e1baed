package import HTTPTypes
package import Hummingbird

/// Answers a request for a known path with an unsupported method 405 with `Allow`, instead of
/// the router's 404.
///
/// Add it to the router after every route: the router wraps its not-found answer in all its
/// middleware, so this one only sees requests no route took.
package struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: [(path: RouterPath, method: HTTPRequest.Method)]

    /// - Parameter routes: the router's routes (``Router/routes``), read once all are added.
    package init(routes: [Router<Context>.RouteDescription]) {
        self.routes = routes.map { ($0.path, $0.method) }
    }

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: true)
            let allowed = Set(routes.filter { Self.matches($0.path, segments) }.map(\.method.rawValue)).sorted()
            guard !allowed.isEmpty else { throw error }
            throw APIError(
                status: .methodNotAllowed,
                message: "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(allowed.joined(separator: " or "))",
                code: "method_not_allowed", headers: [.allow: allowed.joined(separator: ", ")])
        }
    }

    static func matches(_ path: RouterPath, _ segments: [Substring]) -> Bool {
        var index = 0
        for element in path.components {
            if element == .recursiveWildcard { return true }
            guard index < segments.count, element ~= segments[index] else { return false }
            index += 1
        }
        return index == segments.count
    }
}
