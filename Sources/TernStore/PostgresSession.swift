import Logging
import PostgresKit
import PostgresNIO
import SQLKit
import TernCore

/// One leased PostgreSQL connection, valid only inside the ``PostgresDatabase`` call that
/// handed it out. Every statement runs on that connection; errors leave as ``StoreError``s.
struct PostgresSession: DatabaseSession {
    /// Always ``SQLDialectKind/postgres``.
    let dialect = SQLDialectKind.postgres
    /// The leased connection; it goes back to the pool when the lease ends.
    let connection: PostgresConnection
    /// `host:port/database`, for error messages.
    let location: String
    /// Receives rollback failures and, at trace level, the statements.
    let logger: Logger

    /// SQLKit on this connection. Statements are logged at trace level only: their binds carry
    /// message bodies.
    ///
    /// Above debug level nothing logged per query (the statement at trace, PostgresNIO's debug
    /// lines) would be emitted, so the queries then get a logger that drops everything:
    /// PostgresNIO sets the connection's id as metadata on every query's logger, and
    /// `StreamLogHandler` renders its whole metadata string again on every such set (2-3 % of a
    /// `SELECT 1`'s client CPU, tern-bench-pg-call).
    private var sql: any SQLDatabase {
        PostgresConnectionSQL(connection: connection, logger: logger.logLevel <= .debug ? logger : Self.silent)
    }

    /// Drops every message and metadata change.
    private static let silent = Logger(label: "tern.store.postgres.query") { _ in SwiftLogNoOpLogHandler() }

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            return try await body(sql)
        } catch {
            throw PostgresErrors.map(error, location: location)
        }
    }

    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await read(body)
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws
        -> T
    {
        let database = sql
        do {
            try await database.raw("BEGIN").run()
        } catch {
            throw PostgresErrors.map(error, location: location)
        }
        let result: T
        do {
            result = try await body(database)
        } catch {
            do {
                // In its own task, so a cancelled caller still rolls back.
                try await Task { try await database.raw("ROLLBACK").run() }.value
            } catch let rollbackError {
                logger.error(
                    "rollback failed; closing the connection so the pool drops it",
                    metadata: [
                        "error": "\(PostgresErrors.describe(rollbackError))",
                        "cause": "\(PostgresErrors.describe(error))",
                    ])
                // A connection still inside a transaction must not go back to the pool.
                do {
                    try await connection.close()
                } catch let closeError {
                    logger.warning(
                        "closing the connection failed",
                        metadata: ["error": "\(PostgresErrors.describe(closeError))"])
                }
            }
            throw PostgresErrors.map(error, location: location)
        }
        do {
            try await database.raw("COMMIT").run()
        } catch {
            throw PostgresErrors.map(error, location: location)
        }
        return result
    }
}
