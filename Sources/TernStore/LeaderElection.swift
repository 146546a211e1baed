package import Foundation
package import Logging
import Synchronization
import TernCore

/// Lets one process of several run the leader-only jobs (Telegram polling, retention, …): on
/// PostgreSQL the holder of a session-level advisory lock leads; the others wait and take over
/// when its connection ends (the lock dies with it). On SQLite there is one process: it leads
/// at once and for good.
///
/// The lease is checked, not assumed. The lock lives on a connection of its own
/// (``PostgresLockSession``, not the pool's), every statement on it has a timeout, and while
/// leading the election asks the server every ``Settings/checkInterval`` whether that
/// connection still holds the lock. When it does not (the backend was terminated, the server
/// restarted, the network is gone), the term ends at once: ``LeaderTerm/lost`` fires, the
/// leader-only work is told to stop and is cancelled after ``Settings/stopGrace``; then the
/// election reconnects (with backoff) and contends again like any follower. A follower whose
/// connection fails does the same. State changes are logged and kept in ``status``.
package final class LeaderElection: Sendable {
    /// The advisory lock of the leader-only jobs ("terntgrm" in ASCII, the Telegram poller's
    /// lock since it was the first such job: older and newer replicas agree on it).
    package static let leaderKey: Int64 = 0x7465_726E_7467_726D

    /// Where the lock lives.
    package enum Backend: Sendable {
        /// One process owns the database (SQLite): it always leads.
        case single
        /// A PostgreSQL advisory lock on a connection of its own to this server.
        case postgres(PostgresURL)
    }

    /// Timings of the election.
    package struct Settings: Sendable {
        /// Between attempts to take the lock while another replica holds it.
        package var retry: Duration = .seconds(1)
        /// Between checks that the leader still holds the lock.
        package var checkInterval: Duration = .seconds(1)
        /// The bound on connecting and on every statement of the election.
        package var statementTimeout: Duration = .seconds(2)
        /// The first pause after a connection failure; it doubles up to ``maxBackoff``.
        package var backoff: Duration = .milliseconds(250)
        /// The longest pause between reconnection attempts.
        package var maxBackoff: Duration = .seconds(4)
        /// How long leader-only work may take to stop after the lock was lost before it is cancelled.
        package var stopGrace: Duration = .seconds(2)

        package init() {}
    }

    /// Where this process stands.
    package enum State: String, Sendable, Equatable {
        /// Not started yet, or stopped.
        case idle
        /// Connected; another replica holds the lock.
        case waiting
        /// This process holds the lock and runs the leader-only work.
        case leading
        /// This process held the lock and lost it; the work is stopping.
        case lost
        /// The election's connection failed; it reconnects with backoff.
        case error
    }

    /// What the election is doing, for diagnostics and `/readyz`.
    package struct Status: Sendable, Equatable {
        package var state: State = .idle
        /// When ``state`` last changed.
        package var since: Date?
        /// The last connection or statement error, kept until the next term starts.
        package var lastError: String?
        /// How many times this process became leader.
        package var terms = 0
    }

    private let backend: Backend
    private let key: Int64
    private let settings: Settings
    private let logger: Logger
    private let state = Mutex(Status())
    /// Who waits for which state (``reached(_:)``); fired by ``change(to:)``.
    private let stateWaiters = Mutex<[(state: State, signal: OneShotSignal)]>([])

    /// - Parameters:
    ///   - backend: ``Backend/single`` for SQLite, ``Backend/postgres(_:)`` with the server's URL.
    ///   - key: the advisory lock; replicas contending for the same work use the same key.
    package init(backend: Backend, key: Int64 = LeaderElection.leaderKey, settings: Settings = Settings(), logger: Logger) {
        self.backend = backend
        self.key = key
        self.settings = settings
        self.logger = logger
    }

    /// The backend a database handle implies: its server's URL on PostgreSQL, ``Backend/single`` otherwise.
    package static func backend(for database: any DatabaseHandle) -> Backend {
        if let postgres = database as? PostgresDatabase { return .postgres(postgres.url) }
        return .single
    }

    /// A snapshot of what the election is doing.
    package var status: Status { state.withLock { $0 } }

    /// Returns once the election is in `wanted` — at once if it is now — or when the waiting task
    /// is cancelled (for probes and tests that act on a change instead of polling for it).
    package func reached(_ wanted: State) async {
        let signal = OneShotSignal()
        // Registered before the state is read, so a change in between still fires the signal.
        stateWaiters.withLock { $0.append((wanted, signal)) }
        if status.state == wanted { signal.fire() }
        await signal.wait()
        stateWaiters.withLock { waiters in waiters.removeAll { $0.signal === signal } }
    }

    /// Runs `lead` each time this process becomes leader, until `lead` returns (or throws,
    /// which is rethrown after the lock is released). When the lock is lost meanwhile,
    /// ``LeaderTerm/lost`` fires, `lead` is cancelled if it has not returned within
    /// ``Settings/stopGrace``, and the election contends again. Cancelling the calling task
    /// stops the election wherever it is (its connection closes, so does the lock).
    package func run(_ lead: @escaping @Sendable (LeaderTerm) async throws -> Void) async throws {
        defer { change(to: .idle) }
        guard case .postgres(let url) = backend else {
            change(to: .leading)
            return try await lead(LeaderTerm())
        }
        var backoff = settings.backoff
        while true {
            try Task.checkCancellation()
            let session: PostgresLockSession
            do {
                session = try await PostgresLockSession.connect(url: url, timeout: settings.statementTimeout, logger: logger)
                try await waitForLock(on: session)
            } catch let error as CancellationError {
                throw error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                failed(error, next: backoff)
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, settings.maxBackoff)
                continue
            }
            backoff = settings.backoff
            let outcome: TermOutcome
            do {
                outcome = try await serveTerm(lead, on: session)
            } catch {
                await session.close()
                throw error
            }
            switch outcome {
            case .finished:
                do {
                    try await session.unlock(key)
                } catch {
                    logger.warning("could not release the leader lock; closing its connection", metadata: ["error": "\(error)"])
                }
                await session.close()
                return
            case .lost:
                await session.close()
                try Task.checkCancellation()
            }
        }
    }

    private enum TermOutcome: Sendable {
        case finished
        case lost
    }

    /// Tries for the lock every ``Settings/retry`` until it is taken; throws when the connection fails.
    private func waitForLock(on session: PostgresLockSession) async throws {
        do {
            while !(try await session.tryLock(key)) {
                if status.state != .waiting {
                    change(to: .waiting)
                    logger.info("another replica leads; waiting to take over", metadata: ["lock": "\(key)"])
                }
                try await Task.sleep(for: settings.retry)
            }
        } catch {
            await session.close()
            throw error
        }
    }

    /// Runs one term: `lead` beside a watch of the lock. Returns ``TermOutcome/lost`` once the
    /// lock is gone and `lead` has stopped (by itself or cancelled after the grace).
    private func serveTerm(_ lead: @escaping @Sendable (LeaderTerm) async throws -> Void, on session: PostgresLockSession)
        async throws -> TermOutcome
    {
        let term = LeaderTerm()
        state.withLock {
            $0.terms += 1
            $0.lastError = nil
        }
        change(to: .leading)
        logger.notice("leading", metadata: ["lock": "\(key)"])
        let key = self.key
        let settings = self.settings
        return try await withThrowingTaskGroup(of: TermOutcome?.self) { group in
            group.addTask {
                try await lead(term)
                return .finished
            }
            group.addTask { [self] in
                // Returns when the lock is lost; cancelled when `lead` ends first.
                while true {
                    try await Task.sleep(for: settings.checkInterval)
                    do {
                        if try await session.holds(key) { continue }
                        lostLock(reason: "the server no longer lists this connection as the lock's holder")
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        lostLock(reason: "\(error)")
                    }
                    term.lose()
                    await session.close()
                    return nil
                }
            }
            defer { group.cancelAll() }
            let first = try await group.next() ?? nil
            // Work that ended because the lock was lost is a lost term, not a finished one.
            if first == .finished, !term.isLost { return .finished }
            // Lost: give the work its grace to stop, then cancel it.
            group.addTask {
                try await Task.sleep(for: settings.stopGrace)
                return .lost
            }
            // The work's own end after the loss is no error of the election's: log it and contend again.
            switch await group.nextResult() {
            case .success(.lost):
                logger.warning("leader-only work did not stop in time after the lock was lost; cancelled")
            case .failure(let error) where !(error is CancellationError):
                logger.warning("leader-only work failed while stopping after the lock was lost", metadata: ["error": "\(error)"])
            default:
                break
            }
            return .lost
        }
    }

    private func lostLock(reason: String) {
        state.withLock { $0.lastError = reason }
        change(to: .lost)
        logger.error("lost the leader lock; stopping leader-only work", metadata: ["lock": "\(key)", "reason": "\(reason)"])
    }

    private func failed(_ error: any Error, next wait: Duration) {
        state.withLock { $0.lastError = "\(error)" }
        change(to: .error)
        logger.warning(
            "leader election failed; reconnecting", metadata: ["lock": "\(key)", "error": "\(error)", "retry_in": "\(wait)"])
    }

    private func change(to new: State) {
        let changed = state.withLock { status in
            guard status.state != new else { return false }
            status.state = new
            status.since = Date()
            return true
        }
        guard changed else { return }
        let reached = stateWaiters.withLock { waiters in waiters.filter { $0.state == new }.map(\.signal) }
        for signal in reached { signal.fire() }
    }
}

/// One term of leadership, handed to the leader-only work.
package final class LeaderTerm: Sendable {
    private let signal = OneShotSignal()

    package init() {}

    /// Whether the lock has been lost.
    package var isLost: Bool { signal.isFired }

    /// Returns once the lock is lost (or the waiting task is cancelled).
    package func lost() async { await signal.wait() }

    func lose() { signal.fire() }
}
