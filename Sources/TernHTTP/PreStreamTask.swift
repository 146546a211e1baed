import Hummingbird

/// Runs every other middleware and the route's handler in a child task that ends before the
/// response body is written; the first middleware of Tern's router.
///
/// Hummingbird writes a response body in the connection's task, the task that also ran the
/// middleware and the handler. Swift's task allocator keeps a task's stack slabs until the task
/// ends, sized to the deepest the task ever went, so a streamed turn's connection task would
/// hold the high-water mark of everything before the stream (authentication, rate admission,
/// decoding, the turn gateway's store calls: a 45 KB slab in a release build) for the whole
/// stream, while writing it needs a few KB. A child task's slabs are freed when it returns.
/// `async let`, not a detached task: cancelling the connection's task cancels the work, and
/// task-locals (the request's logger, the trace context) are inherited.
///
/// It also counts the request in flight on its connection (``ConnectionWatch/requestStarted(_:)``)
/// until the handler has returned, so that a hang-up before the handler registered for it is not
/// lost.
struct PreStreamTaskMiddleware: RouterMiddleware {
    typealias Context = TernRequestContext
    let connections: ConnectionWatch

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        connections.requestStarted(context.connection)
        defer { connections.requestEnded(context.connection) }
        // `next` is the rest of the chain (Sendable middleware and handler), typed as a plain
        // closure; the child calls it while this task waits, so nothing runs it concurrently.
        return try await withoutActuallyEscaping(next) { next in
            let chain = UncheckedChain(next: next)
            async let response = chain.next(request, context)
            return try await response
        }
    }

    private struct UncheckedChain: @unchecked Sendable {
        let next: (Request, Context) async throws -> Response
    }
}
