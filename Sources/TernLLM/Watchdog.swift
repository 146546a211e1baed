import Foundation
import Synchronization
import TernCore

/// The time limits of one HTTP call, enforced by ``withWatchdog(_:endpoint:_:)``.
///
/// AsyncHTTPClient's own timeouts belong to the (shared, injected) `HTTPClient`, so the client
/// enforces its configured limits itself, per call.
struct CallLimits: Sendable {
    /// Allowed until the response head arrives (connect + time to first byte).
    var head: Duration
    /// Allowed between two received body chunks.
    var idle: Duration
    /// Allowed for the whole call; `nil` for streams.
    var total: Duration?
}

/// Tracks the deadline of one call; every received chunk moves it forward. A ``DeadlineTimer``
/// wakes at the deadline: if a chunk moved it meanwhile, the timer is set for the new one;
/// otherwise the call is cancelled. A touch costs a lock, not a timer change.
final class Watchdog: Sendable {
    /// Which limit ran out.
    enum Limit: Sendable {
        case head, idle, total
    }

    private struct State {
        var deadline: ContinuousClock.Instant
        var limit: Limit
        var touched = false
        var fired: Limit?
        /// Cancels the call; set by ``arm(_:)``.
        var cancel: (@Sendable () -> Void)?
        var timer: DeadlineTimer?
        /// The call ended (``disarm()``): nothing fires any more.
        var ended = false
    }

    private let limits: CallLimits
    private let totalDeadline: ContinuousClock.Instant?
    private let state: Mutex<State>

    /// Starts the clock: the head limit (or the total, if sooner) applies first.
    init(limits: CallLimits, now: ContinuousClock.Instant = .now) {
        self.limits = limits
        totalDeadline = limits.total.map { now + $0 }
        var state = State(deadline: now + limits.head, limit: .head)
        if let totalDeadline = limits.total.map({ now + $0 }), totalDeadline < state.deadline {
            state = State(deadline: totalDeadline, limit: .total)
        }
        self.state = Mutex(state)
    }

    /// Records progress (the head or a body chunk arrived): the idle limit starts over.
    func touch() {
        let idleDeadline = ContinuousClock.now + limits.idle
        let moved = state.withLock { state -> (timer: DeadlineTimer, after: Duration)? in
            let first = !state.touched
            let before = state.deadline
            state.touched = true
            if let totalDeadline, totalDeadline < idleDeadline {
                state.deadline = totalDeadline
                state.limit = .total
            } else {
                state.deadline = idleDeadline
                state.limit = .idle
            }
            // Later touches only move the deadline later (the timer, waking at the old one, sets
            // itself again); the first (head → idle) can move it earlier: the timer moves with it.
            guard first, state.deadline < before, let timer = state.timer else { return nil }
            return (timer, state.deadline - .now)
        }
        if let moved { moved.timer.reschedule(after: max(.zero, moved.after)) }
    }

    /// The limit that ran out, if one did.
    var fired: Limit? { state.withLock { $0.fired } }

    /// The seconds a limit allowed, for ``ModelError/timeout(endpoint:seconds:)``.
    func seconds(of limit: Limit) -> Double {
        switch limit {
        case .head: limits.head.seconds
        case .idle: limits.idle.seconds
        case .total: (limits.total ?? limits.idle).seconds
        }
    }

    /// Starts the timer: `cancel` is called once if a limit runs out before ``disarm()``.
    func arm(_ cancel: @escaping @Sendable () -> Void) {
        // Set far off first and moved once stored, so its handler always finds it.
        let timer = DeadlineTimer(after: .seconds(86_400 * 365)) { [weak self] in self?.check() }
        let delay = state.withLock { state -> Duration in
            state.cancel = cancel
            state.timer = timer
            return state.deadline - .now
        }
        timer.reschedule(after: max(.zero, delay))
    }

    /// The call ended: the timer is released and nothing fires.
    func disarm() {
        let timer = state.withLock { state -> DeadlineTimer? in
            state.ended = true
            state.cancel = nil
            defer { state.timer = nil }
            return state.timer
        }
        timer?.cancel()
    }

    /// The timer's wake-up: fire if the deadline has passed, else wait for the one a touch set.
    private func check() {
        let now = ContinuousClock.now
        let (cancel, again) = state.withLock { state -> ((@Sendable () -> Void)?, (DeadlineTimer, Duration)?) in
            guard state.fired == nil, !state.ended else { return (nil, nil) }
            guard state.deadline <= now else { return (nil, state.timer.map { ($0, state.deadline - now) }) }
            state.fired = state.limit
            return (state.cancel, nil)
        }
        if let again { again.0.reschedule(after: again.1) }
        cancel?()
    }
}

/// Runs `operation`, cancelling it when `limits` run out, which becomes `ModelError.timeout`.
/// Cancellation of the calling task cancels the operation as usual. The operation runs in a task
/// of its own (``runCancellable(_:arm:)``) that the watchdog's timer cancels: no second task
/// sleeps beside every model call.
func withWatchdog<T: Sendable>(
    _ limits: CallLimits, endpoint: String, _ operation: @escaping @Sendable (Watchdog) async throws -> T
) async throws -> T {
    let watchdog = Watchdog(limits: limits)
    let result = await runCancellable({
        // Disarmed in the call's own task as it ends, not once this caller is resumed.
        defer { watchdog.disarm() }
        return try await operation(watchdog)
    }) { cancel in watchdog.arm(cancel) }
    switch result {
    case .success(let value):
        return value
    case .failure(let error):
        if let limit = watchdog.fired {
            throw ModelError.timeout(endpoint: endpoint, seconds: watchdog.seconds(of: limit))
        }
        throw error
    }
}
