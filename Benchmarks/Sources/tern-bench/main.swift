// tern-bench: seeds a database with conversations, sessions and messages, then times the
// store's read paths (conversation lookup, history load, current session). See docs/benchmarks.md.
import Foundation
import Logging
import TernCore
import TernStore

func fail(_ error: any Error, status: Int32) -> Never {
    FileHandle.standardError.write(Data("tern-bench: \(error)\n".utf8))
    exit(status)
}

let options: Options
do { options = try Options.parse(Array(CommandLine.arguments.dropFirst())) } catch { fail(error, status: 64) }
var logger = Logger(label: "tern.bench")
logger.logLevel = .warning

do {
    let database: any DatabaseHandle
    if options.database.hasPrefix("sqlite:") {
        database = try await SQLiteDatabase.open(path: String(options.database.dropFirst(7)), logger: logger)
    } else if options.database.hasPrefix("postgres://") || options.database.hasPrefix("postgresql://") {
        database = try await PostgresDatabase.open(url: options.database, logger: logger)
    } else {
        throw BenchError("--database must start with sqlite: or postgres://")
    }
    do {
        let inspector = Inspector(database: database)
        out("tern-bench \(Date().formatted(.iso8601)): \(try await inspector.describe())")
        let memory = Int64(ProcessInfo.processInfo.physicalMemory)
        out("\(ProcessInfo.processInfo.activeProcessorCount) CPUs, \(megabytes(memory)) RAM")
        try await Migrator(database: database, logger: logger).migrate()
        let entries = try await Seeder(
            database: database, conversations: options.conversations, messages: options.messages
        ).run()
        try await inspector.settle()
        try await inspector.report(sample: entries[entries.count / 2])
        try await Benchmark(
            database: database, store: SQLConversationStore(database: database), entries: entries,
            samples: options.samples, concurrency: options.concurrency
        ).run()
        try await database.close()
    } catch {
        try? await database.close()
        throw error
    }
} catch { fail(error, status: 1) }
