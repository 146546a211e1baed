package import Hummingbird
package import Logging
import NIOCore

/// Turns every error thrown below it into an OpenAI-shaped JSON answer; logs what is not the
/// caller's fault.
package struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    package init() {}

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let apiError = APIError.from(error) {
                if apiError.status.code >= 500 {
                    context.logger.error(
                        "request failed",
                        metadata: ["path": "\(request.uri.path)", "status": "\(apiError.status.code)", "error": "\(error)"])
                }
                return try apiError.response(from: request, context: context)
            }
            if error is NIOTooManyBytesError {
                // Normally answered by OversizedBodyMiddleware, naming the cap; never a 500.
                return try APIError(
                    status: .contentTooLarge, message: "the request body is larger than this endpoint accepts",
                    code: "request_too_large"
                ).response(from: request, context: context)
            }
            context.logger.error(
                "unhandled error", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return try APIError(
                status: .internalServerError, message: "internal error; see the server log",
                type: "server_error"
            ).response(from: request, context: context)
        }
    }
}
