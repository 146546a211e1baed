import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization
import TernCore

/// One PostgreSQL connection of its own (outside the pool) that holds, or tries for, a
/// session-level advisory lock: the connection the ``LeaderElection`` leads on.
///
/// Every statement is bounded twice: by the server (`SET statement_timeout`) and by a local
/// clock that closes the connection when the answer does not come in time (a dead server or a
/// black-holed network never answers, and a statement in flight cannot be cancelled otherwise).
/// Any error means the connection is unusable: close it and open a new one.
final class PostgresLockSession: Sendable {
    private let connection: PostgresConnection
    private let timeout: Duration
    private let location: String
    private let logger: Logger

    private init(connection: PostgresConnection, timeout: Duration, location: String, logger: Logger) {
        self.connection = connection
        self.timeout = timeout
        self.location = location
        self.logger = logger
    }

    /// Connects within `timeout` and sets the session's statement timeout to it.
    static func connect(url: PostgresURL, timeout: Duration, logger: Logger) async throws -> PostgresLockSession {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password,
            database: url.database, tls: .disable)
        if let tls = try PostgresDatabase.makeTLSConfiguration(url.tls, location: url.location) {
            do {
                configuration.tls = .require(try NIOSSLContext(configuration: tls))
            } catch {
                throw StoreError.database("cannot set up TLS for PostgreSQL at \(url.location): \(error)")
            }
        }
        let limit = min(timeout, url.connectTimeout)
        configuration.options.connectTimeout = .milliseconds(limit.milliseconds)
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        } catch {
            throw StoreError.database(
                "cannot connect to PostgreSQL at \(url.location) for the leader lock: \(PostgresErrors.describe(error))")
        }
        let session = PostgresLockSession(connection: connection, timeout: timeout, location: url.location, logger: logger)
        do {
            let milliseconds = timeout.milliseconds
            try await session.bounded("SET statement_timeout") { connection in
                try await connection.query("SET statement_timeout = \(unescaped: String(milliseconds))", logger: logger)
                    .consume()
            }
        } catch {
            await session.close()
            throw error
        }
        return session
    }

    /// `pg_try_advisory_lock(key)`: whether this session holds the lock now.
    func tryLock(_ key: Int64) async throws -> Bool {
        try await bounded("pg_try_advisory_lock") { [logger] connection in
            try await Self.firstBool(connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger))
        }
    }

    /// Whether this session still holds `key`, as the server's lock table says. A connection the
    /// server terminated fails here instead of answering.
    func holds(_ key: Int64) async throws -> Bool {
        // A bigint key is split into classid (high 32 bits) and objid (low 32 bits), objsubid 1.
        let high = Int64(UInt64(bitPattern: key) >> 32)
        let low = Int64(UInt64(bitPattern: key) & 0xFFFF_FFFF)
        return try await bounded("pg_locks") { [logger] connection in
            try await Self.firstBool(
                connection.query(
                    """
                    SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = \(high)
                      AND objid = \(low) AND objsubid = 1 AND pid = pg_backend_pid() AND granted)
                    """, logger: logger))
        }
    }

    /// `pg_advisory_unlock(key)`.
    func unlock(_ key: Int64) async throws {
        try await bounded("pg_advisory_unlock") { [logger] connection in
            try await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger).consume()
        }
    }

    /// Closes the connection (the server drops its locks with it). A failed close is logged.
    func close() async {
        do {
            try await connection.close()
        } catch ChannelError.alreadyClosed {
            return
        } catch {
            logger.debug("closing the leader lock connection failed", metadata: ["error": "\(PostgresErrors.describe(error))"])
        }
    }

    /// Runs one statement; when no answer comes within the timeout (or the caller is cancelled)
    /// this returns at once with an error and the connection is closed. The statement itself
    /// runs in a task of its own: on a connection the server dropped, PostgresNIO may never
    /// answer it, and nothing here may wait for that.
    private func bounded<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = self.connection
        let location = self.location
        let timeout = self.timeout
        let outcome = FirstOutcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                outcome.install(continuation)
                let work = Task {
                    do {
                        outcome.resolve(.success(try await body(connection)))
                    } catch {
                        outcome.resolve(
                            .failure(
                                StoreError.database(
                                    "\(what) on PostgreSQL at \(location) failed: \(PostgresErrors.describe(error))")))
                    }
                }
                let clock = Task {
                    do { try await Task.sleep(for: timeout) } catch { return }
                    let expired = outcome.resolve(
                        .failure(StoreError.database("\(what) on PostgreSQL at \(location) got no answer within \(timeout)")))
                    if expired {
                        work.cancel()
                        connection.close().whenComplete { _ in }
                    }
                }
                outcome.onResolve { clock.cancel() }
            }
        } onCancel: {
            if outcome.resolve(.failure(CancellationError())) { connection.close().whenComplete { _ in } }
        }
    }

    private static func firstBool(_ rows: PostgresRowSequence) async throws -> Bool {
        for try await value in rows.decode(Bool.self) { return value }
        throw StoreError.database("the server returned no row")
    }
}

extension PostgresRowSequence {
    /// Reads and drops every row.
    fileprivate func consume() async throws {
        for try await _ in self {}
    }
}

extension Duration {
    /// Whole milliseconds, at least 1.
    fileprivate var milliseconds: Int64 {
        max(1, components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}

/// The first of several outcomes (answer, timeout, cancellation) resumes the waiting caller;
/// the later ones are dropped.
private final class FirstOutcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var done = false
        var onResolve: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func onResolve(_ action: @escaping @Sendable () -> Void) {
        let run = state.withLock { state -> Bool in
            if state.done { return true }
            state.onResolve = action
            return false
        }
        if run { action() }
    }

    /// Resumes the caller with `result` unless another outcome came first; `true` if this one won.
    @discardableResult
    func resolve(_ result: Result<T, any Error>) -> Bool {
        let (won, continuation, action) = state.withLock {
            state -> (Bool, CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
            guard !state.done else { return (false, nil, nil) }
            state.done = true
            if state.continuation == nil { state.early = result }
            return (true, state.continuation, state.onResolve)
        }
        continuation?.resume(with: result)
        action?()
        return won
    }
}
