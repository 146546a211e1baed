package import SQLKit
import TernCore

/// The SQL dialects Tern's stores run on.
package enum SQLDialectKind: String, Sendable {
    case sqlite
    case postgres
}

/// Running statements on a database: reads, writes and transactions.
///
/// A ``DatabaseHandle`` is one; so is the single pinned connection that
/// ``DatabaseHandle/withSession(_:)`` hands out.
package protocol DatabaseSession: Sendable {
    /// Which SQL dialect the database speaks, for the few statements that differ.
    var dialect: SQLDialectKind { get }
    /// Runs read-only statements.
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs statements that write, one writer at a time.
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in one transaction on the writer: committed if it returns, rolled back if it throws.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws
        -> T
}

/// Access to one database for the stores: reads may run concurrently, writes are serialised
/// where the backend needs it (SQLite has one writer).
package protocol DatabaseHandle: DatabaseSession {
    /// Runs `body` with every statement it issues on one and the same connection, so that
    /// session state (a PostgreSQL `pg_advisory_lock`, a temporary table) lasts for the whole of
    /// `body`. Other callers cannot use that connection meanwhile; on SQLite it is the writer,
    /// so other writes wait until `body` returns.
    func withSession<T: Sendable>(_ body: @Sendable (any DatabaseSession) async throws -> T) async throws
        -> T
    /// Closes every connection.
    func close() async throws
}
