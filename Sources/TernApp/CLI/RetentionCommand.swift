import ArgumentParser
import Foundation
import Logging
import TernCore
import TernJobs
import TernStore

/// `tern retention run [--dry-run]`.
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Delete old conversation history.", subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete history older than TERN_RETENTION_DAYS (or --days) now.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Days of history to keep (default: TERN_RETENTION_DAYS).") var days: Int?
        @Flag(help: "Only print what would be deleted.") var dryRun = false
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func validate() throws {
            if let days, days < 1 { throw ValidationError("--days must be at least 1, got \(days)") }
        }

        func run() async throws {
            let config = try options.load()
            let keep = days ?? config.retentionDays
            guard keep > 0 else {
                throw CLIError("retention is off (TERN_RETENTION_DAYS=0); pass --days N to run it once")
            }
            let logger = bootstrapLogging(level: config.logLevel < .warning ? .warning : config.logLevel)
            let database = try await Dependencies.openDatabase(config, logger: logger)
            do {
                try await Migrator(database: database, logger: logger).migrate()
                let store = SQLRetentionStore(database: database)
                let service = RetentionService(store: store, days: keep, logger: logger)
                let plan = try await store.plan(olderThan: service.cutoff)
                print("older than \(keep) days (before \(format(service.cutoff))):")
                print("  \(plan.messages) messages, \(plan.sessions) sessions, \(plan.conversations) conversations")
                if !dryRun, plan != RetentionCounts() {
                    try confirm("Delete them?", yes: yes)
                    let removed = try await service.runOnce()
                    print("deleted \(removed.messages) messages, \(removed.sessions) sessions, \(removed.conversations) conversations")
                }
            } catch {
                try await database.close()
                throw error
            }
            try await database.close()
        }
    }
}
