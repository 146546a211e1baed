import Synchronization

/// Runs `operation`, and when `limit` passes first, cancels it and throws `timeout()`.
/// Cancelling the caller cancels the operation and throws `CancellationError` (not the timeout).
///
/// The operation runs in a task of its own that this call awaits (``runCancellable(_:arm:)``); a
/// ``DeadlineTimer`` started when the operation starts cancels it when the limit passes, so no
/// second task sleeps beside it and the timer is released as soon as the operation ends. An
/// operation that ignores cancellation is still awaited; if the limit passed first, the timeout
/// is thrown.
///
/// The one time limit of the project: tool calls, guarded fetches, Bot API calls and MCP HTTP
/// bodies all use it, each with its own error.
package func withTimeLimit<T: Sendable>(
    _ limit: Duration, orThrow timeout: @escaping @Sendable () -> any Error,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = DeadlineOutcome()
    let timer = Mutex<DeadlineTimer?>(nil)
    let result = await runCancellable({
        // Settled in the operation's own task as it ends: waiting for this caller to be
        // resumed (a busy machine) does not turn a finished operation into a timeout.
        defer {
            _ = outcome.finish()
            timer.withLock { $0?.cancel() }
        }
        return try await operation()
    }) { cancel in
        timer.withLock { $0 = DeadlineTimer(after: limit) { if outcome.fire() { cancel() } } }
    }
    if outcome.finish() {
        try Task.checkCancellation()
        throw timeout()
    }
    return try result.get()
}

/// Runs `operation` in a task of its own and waits for it to end, whatever happens: when this
/// returns, the operation has returned or thrown. Cancelling the caller cancels it. `arm` runs
/// in that task just before the operation starts, with a function that cancels the task from
/// any thread (a timer's handler): a limit armed there counts from when the operation starts,
/// not from when it was asked for, so a busy machine's wait for a thread is not charged to it.
///
/// This is how a deadline cancels one operation without a second task racing it: a task group
/// cannot be cancelled from a timer's handler, a task can. The task inherits the caller's
/// task-local values and priority.
package func runCancellable<T: Sendable>(
    _ operation: @escaping @Sendable () async throws -> T,
    arm: @escaping @Sendable (_ cancel: @escaping @Sendable () -> Void) -> Void
) async -> Result<T, any Error> {
    let handle = CancelHandle()
    let task = Task {
        arm { handle.cancel() }
        return try await operation()
    }
    handle.attach { task.cancel() }
    return await withTaskCancellationHandler {
        await task.result
    } onCancel: {
        task.cancel()
    }
}

/// Cancels a task that may not be known yet: a cancel asked for before ``attach(_:)`` is done
/// on attaching.
private final class CancelHandle: Sendable {
    private let state = Mutex<(cancel: (@Sendable () -> Void)?, requested: Bool)>((nil, false))

    func attach(_ cancel: @escaping @Sendable () -> Void) {
        let requested = state.withLock { state in
            state.cancel = cancel
            return state.requested
        }
        if requested { cancel() }
    }

    func cancel() {
        let cancel = state.withLock { state in
            state.requested = true
            return state.cancel
        }
        cancel?()
    }
}

/// Whether a deadline fired before its operation ended: the first of ``fire()`` and
/// ``finish()`` wins, so an operation that ends as the timer fires is never reported as timed out.
package final class DeadlineOutcome: Sendable {
    private enum Phase { case running, fired, finished }
    private let phase = Mutex(Phase.running)

    package init() {}

    /// The timer's side: `true` if the operation was still running (cancel it now).
    package func fire() -> Bool {
        phase.withLock { phase in
            guard phase == .running else { return false }
            phase = .fired
            return true
        }
    }

    /// The operation's side, once it has ended: `true` if the deadline had fired first.
    package func finish() -> Bool {
        phase.withLock { phase in
            if phase == .running { phase = .finished }
            return phase == .fired
        }
    }
}
