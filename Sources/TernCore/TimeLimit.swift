/// Runs `operation`, and when `limit` passes first, cancels it and throws `timeout()`. The timer
/// is released as soon as `operation` ends (``sleepReleasingTimer(for:)``).
/// Cancelling the caller cancels the operation and throws `CancellationError` (not the timeout).
///
/// The one time limit of the project: tool calls, guarded fetches, Bot API calls and MCP HTTP
/// bodies all use it, each with its own error.
package func withTimeLimit<T: Sendable>(
    _ limit: Duration, orThrow timeout: @escaping @Sendable () -> any Error,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await sleepReleasingTimer(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            try Task.checkCancellation()
            throw timeout()
        }
        return value
    }
}
