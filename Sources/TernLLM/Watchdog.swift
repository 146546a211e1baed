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

/// Tracks the deadline of one call; every received chunk moves it forward.
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
        state.withLock { state in
            state.touched = true
            if let totalDeadline, totalDeadline < idleDeadline {
                state.deadline = totalDeadline
                state.limit = .total
            } else {
                state.deadline = idleDeadline
                state.limit = .idle
            }
        }
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

    /// Sleeps until the current deadline passes without progress; returns `true` if it fired,
    /// `false` if cancelled first.
    func run() async -> Bool {
        while true {
            let (deadline, touched) = state.withLock { ($0.deadline, $0.touched) }
            // Touches only move the deadline later, except the first one (head → idle), which can
            // move it earlier: until then, wake at least every `idle` to notice it in time.
            let wake = touched ? deadline : min(deadline, .now + limits.idle)
            do {
                // Usually cancelled long before `wake`: its timer must go with it.
                try await sleepReleasingTimer(until: wake)
            } catch {
                return false  // cancelled: the call ended first, nothing to enforce
            }
            let didFire = state.withLock { state -> Bool in
                guard state.deadline <= .now else { return false }
                state.fired = state.limit
                return true
            }
            if didFire { return true }
        }
    }
}

/// What the first finished child of ``withWatchdog(_:endpoint:_:)`` reports.
private enum WatchdogOutcome<T: Sendable>: Sendable {
    /// The operation's result.
    case value(T)
    /// A limit ran out.
    case fired
    /// The watchdog was cancelled because the call ended.
    case stopped
}

/// Runs `operation`, cancelling it when `limits` run out, which becomes `ModelError.timeout`.
/// Cancellation of the calling task cancels the operation as usual.
func withWatchdog<T: Sendable>(
    _ limits: CallLimits, endpoint: String, _ operation: @escaping @Sendable (Watchdog) async throws -> T
) async throws -> T {
    let watchdog = Watchdog(limits: limits)
    do {
        return try await withThrowingTaskGroup(of: WatchdogOutcome<T>.self) { group in
            group.addTask { .value(try await operation(watchdog)) }
            group.addTask { await watchdog.run() ? .fired : .stopped }
            while let outcome = try await group.next() {
                switch outcome {
                case .value(let value):
                    group.cancelAll()
                    return value
                case .fired:
                    group.cancelAll()  // the operation now ends promptly, with some error
                case .stopped:
                    continue
                }
            }
            throw CancellationError()  // unreachable: the operation returns or throws
        }
    } catch {
        if let limit = watchdog.fired {
            throw ModelError.timeout(endpoint: endpoint, seconds: watchdog.seconds(of: limit))
        }
        throw error
    }
}
