import ArgumentParser
import Foundation
import Synchronization
import TernCore
import TernStore

extension MemoryCommand {
    struct Index: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show PostgreSQL's vector indexes of memory, or build the missing ones.",
            discussion: """
                PostgreSQL keeps one HNSW index per embedding dimension in use. One is missing after \
                `tern memory ingest --defer-index` was stopped before it rebuilt it, and invalid after a \
                build that failed; meanwhile recall searches that dimension exactly (right, but slow on a \
                large table). --rebuild builds those with CREATE INDEX CONCURRENTLY: turns and ingests go \
                on meanwhile. SQLite keeps no vector index.
                """)
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Build every missing or invalid index.") var rebuild = false
        @Option(help: "maintenance_work_mem for the build, e.g. 2GB (about the index's size keeps it in memory).")
        var maintenanceMemory: String?

        func validate() throws {
            if maintenanceMemory != nil && !rebuild {
                throw ValidationError("--maintenance-memory applies to --rebuild's index builds")
            }
        }

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let store = SQLMemoryStore(database: stores.database)
                guard stores.database.dialect == .postgres else {
                    print("SQLite keeps no vector index: recall scores a context's vectors directly.")
                    return
                }
                var indexes = try await store.vectorIndexes()
                if rebuild {
                    indexes = try await MemoryCommand.buildIndexes(store, maintenanceMemory: maintenanceMemory)
                    try await stores.audit(
                        "memory.index.rebuild", object: "memory", id: "indexes", context: nil,
                        after: ["ready": .number(Double(indexes.count { $0.state == .ready }))])
                }
                for line in MemoryCommand.lines(indexes) { print(line) }
            }
        }
    }

    /// The indexes as a table, and what to do about any that recall cannot use.
    static func lines(_ indexes: [MemoryVectorIndex]) -> [String] {
        guard !indexes.isEmpty else { return ["No embeddings stored yet, so no vector index."] }
        var lines = tableLines(
            ["DIMENSION", "INDEX", "STATE", "SIZE", "CONTEXTS"],
            indexes.map { index in
                [
                    String(index.dimension), index.name, index.state.rawValue,
                    index.bytes.map { ByteCountFormatter.string(fromByteCount: $0, countStyle: .binary) } ?? "-",
                    String(index.contexts),
                ]
            })
        for index in indexes {
            switch index.state {
            case .missing, .invalid:
                lines.append(
                    "warning: recall searches \(index.dimension)-dimension vectors exactly until \(index.name) is built: "
                        + "tern memory index --rebuild")
            case .building:
                lines.append(
                    "\(index.name) is being built; recall searches \(index.dimension)-dimension vectors exactly until it ends")
            case .ready, .unindexable: break
            }
        }
        return lines
    }

    /// Builds the missing and invalid indexes, showing each build's phase and progress on stderr.
    static func buildIndexes(_ store: SQLMemoryStore, dimensions: Set<Int>? = nil, maintenanceMemory: String?)
        async throws -> [MemoryVectorIndex]
    {
        let bar = ProgressBar(interactive: isatty(STDERR_FILENO) == 1)
        let shown = Mutex<String?>(nil)
        let before = try await store.vectorIndexes().filter { index in
            index.needsBuild && dimensions.map { $0.contains(index.dimension) } ?? true
        }
        for index in before {
            FileHandle.standardError.write(Data("building \(index.name) (\(index.state.rawValue))…\n".utf8))
        }
        let after = try await store.buildVectorIndexes(dimensions: dimensions, maintenanceMemory: maintenanceMemory) {
            index, progress in
            let label = "\(index.name): \(progress.phase)"
            let changed = shown.withLock { shown in
                defer { shown = label }
                return shown != label
            }
            if changed {
                if bar.interactive { bar.finish() }
                FileHandle.standardError.write(Data("\(label)\n".utf8))
            }
            bar.show(Int(clamping: progress.done), Int(clamping: progress.total))
        }
        bar.finish()
        return after
    }
}
