import Foundation
import Logging
import Synchronization

/// Counts the SQL statements the store runs while counting is on: SQLiteKit and PostgresKit log
/// every statement with its SQL under the metadata key `sql` (SQLite at debug, Tern's PostgreSQL
/// sessions at trace). Off, the handler asks for warnings only, so timed renders pay nothing
/// for it. Warnings and errors always go to standard error.
final class StatementRecorder: Sendable {
    private let state = Mutex<(on: Bool, statements: [String])>((false, []))

    /// Starts recording (dropping anything recorded before).
    func start() { state.withLock { $0 = (true, []) } }

    /// Stops recording and returns the statements, without the server's own background work:
    /// the instance heartbeat and its sweeps read or write `instances` (as TurnStatementsTests).
    func stop() -> [String] {
        state.withLock { state in
            defer { state = (false, []) }
            return state.statements.filter { !$0.contains("instances") }
        }
    }

    var isOn: Bool { state.withLock { $0.on } }

    func record(_ sql: String) { state.withLock { if $0.on { $0.statements.append(sql) } } }

    /// A logger whose handler feeds this recorder.
    func logger() -> Logger { Logger(label: "tern.store") { _ in Handler(recorder: self) } }

    struct Handler: LogHandler {
        let recorder: StatementRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level {
            get { recorder.isOn ? .trace : .warning }
            set {}  // The level follows the recorder.
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            if let sql = event.metadata?["sql"] {
                recorder.record("\(sql)")
            } else if event.level >= .warning {
                FileHandle.standardError.write(Data("\(event.level) \(event.message) \(event.metadata ?? [:])\n".utf8))
            }
        }
    }
}
