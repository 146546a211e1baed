import ArgumentParser
import Foundation
import Logging
import TernCore
import TernStore

/// `tern migrate`: applies, reverts or lists schema migrations.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (default), revert the newest ones, or list them.")

    @OptionGroup var options: ConfigOptions

    @Option(help: "Revert the newest N applied migrations.")
    var revert: Int?

    @Flag(help: "List every migration and whether it is applied.")
    var status = false

    func validate() throws {
        if status && revert != nil { throw ValidationError("--status and --revert cannot be combined") }
        if let revert, revert < 1 { throw ValidationError("--revert takes a number of at least 1, got \(revert)") }
    }

    func run() async throws {
        let config = try options.load()
        if status, case .sqlite(let path) = config.database, !FileManager.default.fileExists(atPath: path) {
            // Opening would create the file (and the data dir): a status check must change nothing.
            for line in Self.statusOfMissingDatabase(path: path) { print(line) }
            return
        }
        let logger = bootstrapLogging(level: config.logLevel < .notice ? config.logLevel : .warning)
        let database = try await Dependencies.openDatabase(config, logger: logger)
        print("database: \(config.database)")
        let migrator = Migrator(database: database, logger: logger)
        do {
            if status {
                Self.printStatus(try await migrator.status().map { ($0.version, $0.name, $0.appliedAt) })
            } else if let revert {
                for version in try await migrator.revert(count: revert) {
                    print("reverted \(version)")
                }
            } else {
                let applied = try await migrator.migrate()
                print(applied.isEmpty ? "up to date" : "applied \(applied.map(String.init).joined(separator: ", "))")
            }
        } catch {
            try await database.close()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        try await database.close()
    }

    /// What `--status` prints for an SQLite file that does not exist: every migration pending.
    static func statusOfMissingDatabase(path: String) -> [String] {
        ["database: \(path) (does not exist yet; nothing is applied)"]
            + statusLines(Migration.all.map { ($0.version, $0.name, nil) })
    }

    private static func printStatus(_ entries: [(version: Int, name: String, appliedAt: Int64?)]) {
        for line in statusLines(entries) { print(line) }
    }

    private static func statusLines(_ entries: [(version: Int, name: String, appliedAt: Int64?)]) -> [String] {
        entries.sorted(by: { $0.version < $1.version }).map { entry in
            let state = entry.appliedAt.map { "applied \(format($0))" } ?? "pending"
            let version = String(entry.version)
            let padded = String(repeating: " ", count: max(0, 4 - version.count)) + version
            let name = entry.name.padding(toLength: max(36, entry.name.count), withPad: " ", startingAt: 0)
            return "\(padded)  \(name)  \(state)"
        }
    }

    private static func format(_ microseconds: Int64) -> String {
        if microseconds == 0 { return "" }
        return ISO8601DateFormatter().string(from: Date(microsecondsSince1970: microseconds))
    }
}
