import Dispatch
import Synchronization

/// A one-shot timer whose cancellation frees it at once.
///
/// Why not `Task.sleep`: a cancelled `Task.sleep` resumes its task at once, but its timer stays
/// queued in the runtime until the original deadline. Every per-call time limit raced against a
/// sleep (a model call's 120 s watchdog, a tool's timeout) therefore kept ~0.7 KB alive for the
/// whole limit after the call ended, so memory grew with the request rate times the limit
/// (docs/benchmarks.md). A Dispatch timer source is removed when cancelled.
package final class DeadlineTimer: @unchecked Sendable {
    // @unchecked: a DispatchSource's schedule/cancel/activate are thread-safe; `source` is let.
    private let source: any DispatchSourceTimer

    /// Starts a timer that calls `fire` once `delay` has passed, unless cancelled first.
    package init(after delay: Duration, fire: @escaping @Sendable () -> Void) {
        source = DispatchSource.makeTimerSource(queue: Self.queue)
        source.schedule(deadline: .now() + Self.interval(delay), leeway: .milliseconds(1))
        source.setEventHandler(handler: fire)
        source.activate()
    }

    /// Moves the timer to fire `delay` from now instead (also after it fired: it fires again).
    package func reschedule(after delay: Duration) {
        source.schedule(deadline: .now() + Self.interval(delay), leeway: .milliseconds(1))
    }

    /// Stops the timer and releases it; `fire` is not called afterwards. Idempotent.
    package func cancel() {
        source.cancel()
    }

    deinit {
        source.cancel()
    }

    /// The handlers only flip flags and cancel tasks: one concurrent queue serves them all.
    private static let queue = DispatchQueue(label: "tern.deadlines", attributes: .concurrent)

    private static func interval(_ duration: Duration) -> DispatchTimeInterval {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return .nanoseconds(0) }
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanoseconds.overflow, nanoseconds.partialValue < Int64(Int.max) - 1_000_000_000 else { return .never }
        return .nanoseconds(Int(nanoseconds.partialValue + attoseconds / 1_000_000_000))
    }
}

/// Suspends for `duration` like `Task.sleep(for:)`, but a wait ended by cancellation releases
/// its timer at once (see ``DeadlineTimer``): use it for every timer that usually loses a race.
/// - Throws: `CancellationError` when the task is cancelled first.
package func sleepReleasingTimer(for duration: Duration) async throws {
    try Task.checkCancellation()
    let signal = OneShotSignal()
    let timer = DeadlineTimer(after: duration) { signal.fire() }
    await signal.wait()
    timer.cancel()
    try Task.checkCancellation()
}

/// ``sleepReleasingTimer(for:)`` until a point on the continuous clock.
package func sleepReleasingTimer(until deadline: ContinuousClock.Instant) async throws {
    try await sleepReleasingTimer(for: max(.zero, deadline - .now))
}
