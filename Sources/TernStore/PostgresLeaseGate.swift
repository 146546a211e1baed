import PostgresNIO
import Synchronization
import TernCore

/// What ``PostgresDatabase`` knows about its pool: which connections are open, and how many
/// calls hold or wait for one. A call goes straight to the pool, with no timer and no task of its
/// own, only when a connection is known to be idle, so the pool hands it over at once; otherwise
/// it waits bounded by the acquire timeout (see ``PostgresDatabase/withLease(_:)``).
///
/// A connection becomes known when a call first leases it and is forgotten when it closes (the
/// pool's idle timeout, the server going away). The count errs on the safe side: a connection the
/// pool opened but no call has leased yet is not counted, so a call waits with a timer it did not
/// need. The one unsafe window is a connection that is closing but whose close has not been seen;
/// then the pool opens another one for the call, bounded by the URL's connect timeout.
final class PostgresLeaseGate: Sendable {
    /// How a call gets its connection.
    enum Admission: Equatable {
        /// A known connection is idle: lease it directly.
        case idleConnection
        /// Every known connection is taken (or none is known yet): wait, bounded.
        case wait
        /// ``close()`` was called.
        case closed
    }

    private struct State {
        var closed = false
        /// Calls between ``enter()`` and ``leave()``: holding a connection or waiting for one.
        var calls = 0
        var open: Set<PostgresConnection.ID> = []
    }

    private let state = Mutex(State())

    /// Counts a call in (unless closed) and says how it gets its connection. Every admitted call
    /// must call ``leave()`` when its lease ends.
    func enter() -> Admission {
        state.withLock { state in
            if state.closed { return .closed }
            state.calls += 1
            return state.calls <= state.open.count ? .idleConnection : .wait
        }
    }

    /// Counts a call out.
    func leave() {
        state.withLock { $0.calls -= 1 }
    }

    /// Records a leased connection, once; it is forgotten when it closes.
    func saw(_ connection: PostgresConnection) {
        let id = connection.id
        let isNew = state.withLock { $0.open.insert(id).inserted }
        guard isNew else { return }
        // Runs at once if the connection is already closed.
        connection.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.open.remove(id) }
        }
    }

    /// Calls holding or waiting for a connection now.
    var calls: Int { state.withLock { $0.calls } }

    /// Connections leased at least once and not closed since.
    var knownOpenConnections: Int { state.withLock { $0.open.count } }

    /// Refuses every later call.
    func close() {
        state.withLock { $0.closed = true }
    }
}

/// One call's bounded wait for a connection, leased by a helper task and handed to the caller.
///
/// The wait settles exactly once: with the connection (``hand(_:)``), or with an error when the
/// ``DeadlineTimer`` fires first (``PostgresLeaseTimedOut``), the caller is cancelled
/// (``abandon()``) or the pool fails the request (``fail(_:)``). After a timeout or cancellation
/// the caller cancels the helper's pool request without waiting for it: a connection that still
/// comes is given back unused (``hand(_:)`` answers false). Once handed over, the helper holds
/// the lease until the caller calls ``giveBack()``.
final class PostgresLeaseWait: Sendable {
    private struct State {
        var outcome: Result<PostgresConnection, any Error>?
        var caller: CheckedContinuation<PostgresConnection, any Error>?
        var timer: DeadlineTimer?
        var returned = false
        var holder: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Starts the timer: after `timeout`, unless settled first, the wait fails with
    /// ``PostgresLeaseTimedOut``. Does nothing if already settled.
    func arm(timeout: Duration) {
        state.withLock { state in
            guard state.outcome == nil else { return }
            state.timer = DeadlineTimer(after: timeout) { [weak self] in
                self?.fail(PostgresLeaseTimedOut())
            }
        }
    }

    /// The connection came: hands it to the caller and stops the timer at once. False if the wait
    /// already ended: then the connection must go back to the pool unused.
    func hand(_ connection: PostgresConnection) -> Bool {
        settle(.success(connection))
    }

    /// The wait failed (the pool's error, the timer, cancellation). Does nothing once settled.
    func fail(_ error: any Error) {
        _ = settle(.failure(error))
    }

    /// The caller was cancelled: its wait ends at once with `CancellationError`.
    func abandon() {
        fail(CancellationError())
    }

    /// The caller's side: the connection, or why none came.
    func connection() async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = state.withLock { state -> Result<PostgresConnection, any Error>? in
                if state.outcome == nil { state.caller = continuation }
                return state.outcome
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// The caller is done with the connection: the helper may end its lease.
    func giveBack() {
        let holder = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.returned = true
            defer { state.holder = nil }
            return state.holder
        }
        holder?.resume()
    }

    /// The helper's side, after ``hand(_:)``: returns once the caller gave the connection back.
    func heldUntilReturned() async {
        await withCheckedContinuation { continuation in
            let returned = state.withLock { state -> Bool in
                if !state.returned { state.holder = continuation }
                return state.returned
            }
            if returned { continuation.resume() }
        }
    }

    /// Records the outcome unless there is one, stops the timer and resumes a waiting caller.
    private func settle(_ outcome: Result<PostgresConnection, any Error>) -> Bool {
        let caller = state.withLock { state -> CheckedContinuation<PostgresConnection, any Error>?? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            state.timer?.cancel()
            state.timer = nil
            defer { state.caller = nil }
            return .some(state.caller)
        }
        guard let caller else { return false }
        caller?.resume(with: outcome)
        return true
    }
}

/// No connection came within the acquire timeout.
struct PostgresLeaseTimedOut: Error {}
