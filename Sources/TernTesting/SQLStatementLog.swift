package import Logging
import Synchronization

/// The SQL of every statement a database runs, for tests that count them: SQLiteKit logs each
/// statement at debug level with its SQL under the metadata key `sql`; ``logger(label:)`` is a
/// logger to hand the database that records them.
package final class SQLStatementLog: Sendable {
    private let statements = Mutex<[String]>([])

    package init() {}

    /// Adds one statement.
    package func record(_ sql: String) { statements.withLock { $0.append(sql) } }

    /// The statements recorded since the last drain, in order, and forgets them.
    package func drain() -> [String] {
        statements.withLock { statements in
            defer { statements = [] }
            return statements
        }
    }

    /// What the server's own background services run (the instance heartbeat, its cleanup and
    /// the orphaned-approvals sweep read or write `instances`): not a request's statements.
    package static func isBackground(_ sql: String) -> Bool { sql.contains("instances") }

    /// A logger whose every `sql` metadata value is recorded here: at trace level, where the
    /// PostgreSQL store logs its statements (SQLite's come at debug).
    package func logger(label: String = "sql") -> Logger {
        Logger(label: label) { _ in Handler(log: self) }
    }

    struct Handler: LogHandler {
        let log: SQLStatementLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            if let sql = event.metadata?["sql"] { log.record("\(sql)") }
        }
    }
}
