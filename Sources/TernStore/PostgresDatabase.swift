import Foundation
package import Logging
import PostgresKit
import PostgresNIO
package import SQLKit
import Synchronization
import TernCore

/// A PostgreSQL server reached through PostgresNIO's ``PostgresClient`` connection pool.
///
/// Every call leases a connection for its duration: reads and writes run concurrently (the
/// server serialises what must be), a transaction holds one connection from `BEGIN` to
/// `COMMIT`/`ROLLBACK`, and ``withSession(_:)`` pins one connection for session-level state
/// such as the migration lock. Driver errors leave as ``StoreError``s that name the server
/// (`host:port/database`) but never the password.
package final class PostgresDatabase: DatabaseHandle {
    /// Always ``SQLDialectKind/postgres``.
    package let dialect = SQLDialectKind.postgres
    /// Where the server is; ``PostgresURL/description`` is the password-free form for logs.
    package let url: PostgresURL
    /// The pool; every call leases from it through ``withLease(_:)``.
    let client: PostgresClient
    /// The task running ``PostgresClient/run()``; cancelling it closes the pool.
    private let runTask: Mutex<Task<Void, Never>?>
    /// Which pooled connections are known open and how many calls hold or wait for one.
    let gate = PostgresLeaseGate()
    /// How long a call waits for a connection before it fails.
    let acquireTimeout: Duration
    /// Receives the pool's and the statements' logs (statements at trace level).
    let logger: Logger

    private init(
        url: PostgresURL, client: PostgresClient, runTask: Task<Void, Never>, acquireTimeout: Duration,
        logger: Logger
    ) {
        self.url = url
        self.client = client
        self.runTask = Mutex(runTask)
        self.acquireTimeout = acquireTimeout
        self.logger = logger
    }

    /// Connects to the PostgreSQL server at `url` (`postgres://user:password@host:port/database`).
    ///
    /// One connection is made and closed first, within the URL's `connect_timeout` (5 s by
    /// default), so a wrong host, port, password or database name fails here with the reason
    /// instead of later at the first query. Call ``close()`` when done.
    ///
    /// - Parameters:
    ///   - maximumConnections: the pool's upper bound on open connections.
    ///   - acquireTimeout: how long a call waits for a free (or new) connection before it fails.
    package static func open(
        url string: String, logger: Logger = Logger(label: "tern.store.postgres"),
        maximumConnections: Int = 20, acquireTimeout: Duration = .seconds(10)
    ) async throws -> PostgresDatabase {
        let url: PostgresURL
        do {
            url = try PostgresURL(parsing: string)
        } catch {
            throw StoreError.database(error.description)
        }
        var logger = logger
        logger[metadataKey: "db"] = "\(url.location)"
        let tls = try makeTLSConfiguration(url.tls, location: url.location)
        try await probe(url, tls: tls, logger: logger)

        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password,
            database: url.database, tls: tls.map { .require($0) } ?? .disable)
        configuration.options.connectTimeout = url.connectTimeout
        configuration.options.maximumConnections = max(1, maximumConnections)
        // The pool arms an idle-timeout timer (a task group and a sleep that stays queued for the
        // 60 s timeout after it is cancelled) on every return of a connection above the minimum:
        // keeping one connection open spares the calls of a lightly loaded server that cost.
        configuration.options.minimumConnections = min(1, configuration.options.maximumConnections - 1)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        // The pool needs `run()` going for as long as the handle lives. It is not a service of
        // the app's ServiceGroup because the database is needed before that group starts:
        // migrations (and `tern migrate`, which starts no group at all) run first, so the
        // handle owns the task and `close()` cancels it.
        let runTask = Task { await client.run() }
        logger.info("connected to PostgreSQL", metadata: ["url": "\(url)"])
        return PostgresDatabase(
            url: url, client: client, runTask: runTask, acquireTimeout: acquireTimeout, logger: logger)
    }

    package func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    {
        try await withLease { session in try await session.read(body) }
    }

    package func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    {
        try await withLease { session in try await session.write(body) }
    }

    package func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    {
        try await withLease { session in try await session.transaction(body) }
    }

    /// Runs `body` on one leased connection; other calls use other connections meanwhile.
    package func withSession<T: Sendable>(_ body: @Sendable (any DatabaseSession) async throws -> T)
        async throws -> T
    {
        try await withLease { session in try await body(session) }
    }

    /// Closes the pool; calls still waiting for a connection fail. Closing twice does nothing.
    package func close() async throws {
        let task = runTask.withLock { task in
            defer { task = nil }
            return task
        }
        guard let task else { return }
        gate.close()
        task.cancel()
        await task.value
        logger.debug("closed PostgreSQL pool")
    }

    deinit {
        runTask.withLock { $0?.cancel() }
    }

    // MARK: - Opening

    /// The TLS settings for a URL's `sslmode`; `nil` for `disable`. Also used by connections
    /// made outside the pool (the leader lock's, see ``PostgresLockSession``).
    static func makeTLSConfiguration(_ mode: PostgresURL.TLSMode, location: String) throws
        -> TLSConfiguration?
    {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return nil
        case .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        return tls
    }

    /// Makes and closes one connection, bounded by the URL's connect timeout, to report a bad
    /// address, password or database name with its reason.
    private static func probe(_ url: PostgresURL, tls: TLSConfiguration?, logger: Logger) async throws {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password,
            database: url.database, tls: .disable)
        do {
            if let tls { configuration.tls = .require(try NIOSSLContext(configuration: tls)) }
        } catch {
            throw StoreError.database("cannot set up TLS for PostgreSQL at \(url.location): \(error)")
        }
        configuration.options.connectTimeout = .nanoseconds(
            Int64(url.connectTimeout.components.seconds) * 1_000_000_000
                + url.connectTimeout.components.attoseconds / 1_000_000_000)
        let deadline = url.connectTimeout + .seconds(1)
        let probeConfiguration = configuration
        do {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    let connection = try await PostgresConnection.connect(
                        configuration: probeConfiguration, id: 0, logger: logger)
                    do {
                        try await connection.close()
                    } catch {
                        logger.warning(
                            "closing the PostgreSQL probe connection failed",
                            metadata: ["error": "\(PostgresErrors.describe(error))"])
                    }
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    return false
                }
                let connected = try await group.next() ?? false
                group.cancelAll()
                if !connected { throw ConnectTimeout(after: deadline) }
            }
        } catch let error as CancellationError {
            throw error
        } catch {
            throw StoreError.database(
                "cannot connect to PostgreSQL at \(url.location) as \(url.username): "
                    + PostgresErrors.describe(error))
        }
    }
}

/// The probe connection did not complete in time.
private struct ConnectTimeout: Error, CustomStringConvertible {
    var after: Duration
    var description: String { "timeout: no answer within \(after)" }
}
