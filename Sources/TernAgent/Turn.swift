import Foundation
import Synchronization
package import TernCore

/// A running turn as a channel holds it: who it runs for, where it is stored, its events, and
/// the hang-up.
///
/// The events end by themselves when the turn ends. ``cancel()`` (a client that hung up, a user
/// who pressed Ctrl-C) stops the turn; its stream then ends with `CancellationError` once the
/// partial answer is stored. Dropping the stream unread cancels the turn too.
package struct Turn: Sendable {
    /// Who the turn runs for, in which context.
    package let identity: ResolvedIdentity
    /// The stored conversation; `nil` for a task call that named none.
    package let conversation: ConversationID?
    /// The session the messages go to; `nil` for a task call (nothing is stored).
    package let session: SessionID?
    /// The agent's events, with a ``TurnItem/quiet`` tick after each silence when the request
    /// asked for ``KeepAlive``. One reader at a time; it may hand over to another task between
    /// items (an HTTP handler reads the first, the response body the rest).
    package let items: AsyncThrowingStream<TurnItem, any Error>
    let control: TurnControl

    /// Just the agent's events, ticks skipped.
    package var events: TurnEvents { TurnEvents(items: items) }

    /// Stops the turn; the partial answer is stored before the events end.
    package func cancel() { control.cancel() }
}

/// What a turn's stream carries.
package enum TurnItem: Sendable {
    case event(AgentEvent)
    /// Nothing happened for a while (only with ``KeepAlive``): a streaming channel shows it is alive.
    case quiet
}

/// How often a turn ticks while silent, for channels whose proxies drop quiet connections (SSE).
package struct KeepAlive: Sendable, Equatable {
    /// The first tick comes after this long without an event, so a turn that fails at once can
    /// still be answered with a status before anything is sent.
    package var grace: Duration
    /// Then one tick after each such silence.
    package var interval: Duration

    package init(grace: Duration, interval: Duration) {
        self.grace = grace
        self.interval = interval
    }
}

/// A turn's events without the ticks.
package struct TurnEvents: AsyncSequence, Sendable {
    package typealias Element = AgentEvent
    let items: AsyncThrowingStream<TurnItem, any Error>

    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<TurnItem, any Error>.AsyncIterator

        package mutating func next() async throws -> AgentEvent? {
            while let item = try await base.next() {
                if case .event(let event) = item { return event }
            }
            return nil
        }
    }

    package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: items.makeAsyncIterator()) }
}

/// Where the agent sends a turn's events: a channel's stream, directly (no relay task).
struct TurnOutput: Sendable {
    let yield: @Sendable (AgentEvent) -> Void
    /// Ends the events, with the error that ended the turn if any.
    let finish: @Sendable ((any Error)?) -> Void

    init(yield: @escaping @Sendable (AgentEvent) -> Void, finish: @escaping @Sendable ((any Error)?) -> Void) {
        self.yield = yield
        self.finish = finish
    }

    init(_ continuation: AsyncThrowingStream<AgentEvent, any Error>.Continuation) {
        self.init(yield: { continuation.yield($0) }, finish: { continuation.finish(throwing: $0) })
    }
}

/// The turn's task and keep-alive ticker, stopped together by ``Turn/cancel()`` or when the
/// stream ends.
final class TurnControl: Sendable {
    private struct State {
        var task: Task<Void, Never>?
        var cancelled = false
    }

    private let state = Mutex(State())
    let ticker: KeepAliveTicker?

    init(ticker: KeepAliveTicker?) { self.ticker = ticker }

    /// Hands over the turn's task; cancelled at once if the turn already was.
    func attach(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { state in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        let task = state.withLock { state in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
        ticker?.stop()
    }
}

/// Ticks into a turn's stream after each silence, on a ``DeadlineTimer`` (no task, no sleep).
final class KeepAliveTicker: Sendable {
    private struct State {
        var lastHeard = ContinuousClock.now
        var wait: Duration
        var stopped = false
    }

    private let state: Mutex<State>
    private let interval: Duration
    private let tick: @Sendable () -> Bool
    private let timer = Mutex<DeadlineTimer?>(nil)

    /// - Parameter tick: yields a tick; `false` when the stream has ended.
    init(_ keepAlive: KeepAlive, tick: @escaping @Sendable () -> Bool) {
        state = Mutex(State(wait: keepAlive.grace))
        interval = keepAlive.interval
        self.tick = tick
    }

    /// Starts the clock: the first tick after the grace.
    func start() {
        let grace = state.withLock { $0.wait }
        // Made under the lock: on a loaded machine the first fire can come before an assignment
        // made afterwards, find no timer to reschedule, and leave the turn without keep-alives
        // for good (seen once in the full suite). `fire` waits for the lock instead.
        timer.withLock { slot in
            slot = DeadlineTimer(after: grace) { [weak self] in self?.fire() }
        }
    }

    /// An event went out: the silence starts again.
    func heard() {
        state.withLock { $0.lastHeard = .now }
    }

    func stop() {
        state.withLock { $0.stopped = true }
        timer.withLock { $0?.cancel() }
    }

    private func fire() {
        let now = ContinuousClock.now
        let (due, next) = state.withLock { state -> (Bool, Duration?) in
            guard !state.stopped else { return (false, nil) }
            let silence = now - state.lastHeard
            guard silence >= state.wait else { return (false, state.wait - silence) }
            state.lastHeard = now
            state.wait = interval
            return (true, interval)
        }
        if due, !tick() { return stop() }
        if let next { timer.withLock { $0?.reschedule(after: next) } }
    }
}
