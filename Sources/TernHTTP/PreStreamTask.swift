import Hummingbird

/// Runs the deep part of a turn's request (body, identity, admission, the turn gateway's store
/// calls) in a child task that ends before the response body is written.
///
/// Hummingbird writes a response body in the connection's task, the task that also ran the
/// handler. Swift's task allocator keeps a task's stack slabs until the task ends, sized to the
/// deepest the task ever went, so a streamed turn's connection task would hold the high-water
/// mark of everything before the stream (41 KB in a release build) for the whole stream, while
/// writing it needs a few KB. A child task's slabs are freed when it returns. `async let`, not a
/// detached task: cancelling the connection's task cancels the work, and task-locals (the
/// request's logger, the trace context) are inherited.
enum PreStreamTask {
    /// The response `work` builds, built in a child task.
    static func response(_ work: @Sendable () async throws -> Response) async throws -> Response {
        async let response = work()
        return try await response
    }
}
