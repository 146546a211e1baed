import ArgumentParser
import Foundation
import TernCore
import TernMemory
import TernStore

extension MemoryCommand {
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ingest files into a context's memory (markdown, text, HTML, source code).",
            discussion: """
                Directories are read recursively (hidden files and folders, and files of other kinds, are \
                skipped). Each file is one document named by its path as given: unchanged files are left \
                alone, changed ones replace their chunks, each in one transaction. Exits 1 when a file failed.

                On PostgreSQL every stored chunk also updates the HNSW index of its dimension, which makes a \
                first load of a large corpus slow. --defer-index drops that index for the load and builds it \
                once at the end (CREATE INDEX CONCURRENTLY); meanwhile recall searches that dimension exactly, \
                for every context using it. If the load is stopped, `tern memory index --rebuild` builds it.
                """)
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String
        @Argument(help: "Files or directories.") var paths: [String]
        @Flag(help: "PostgreSQL: drop the vector index for the load and build it once at the end.")
        var deferIndex = false
        @Option(help: "With --defer-index: maintenance_work_mem for the build, e.g. 2GB.")
        var maintenanceMemory: String?

        func validate() throws {
            if maintenanceMemory != nil && !deferIndex {
                throw ValidationError("--maintenance-memory applies to --defer-index's index build")
            }
        }

        func run() async throws {
            try await MemoryCommand.withMemory(options) { memory, stores in
                let found = try await stores.context(context)
                if deferIndex && stores.database.dialect != .postgres {
                    throw CLIError("--defer-index applies to PostgreSQL's vector index; SQLite keeps none")
                }
                let indexes = SQLMemoryStore(database: stores.database)
                // The context's dimension is known once it recorded an embedding (before the load,
                // or after its first embedded document): its index is dropped then, once.
                var deferred: Int?
                let deferIfKnown = {
                    guard deferIndex, deferred == nil,
                        let dimension = try await memory.store.settings(in: found.id).embedding?.dimension
                    else { return }
                    try await indexes.dropVectorIndex(dimension: dimension)
                    deferred = dimension
                    FileHandle.standardError.write(
                        Data(
                            ("dropped the \(dimension)-dimension vector index for the load; recall searches "
                                + "exactly until it is built at the end\n").utf8))
                }
                try await deferIfKnown()
                let bar = ProgressBar(interactive: isatty(STDERR_FILENO) == 1)
                let loaded: Result<IngestSummary, any Error>
                do {
                    loaded = .success(
                        try await MemoryCommand.ingest(
                            paths, into: found.id, memory: memory, progress: bar.show, afterDocument: deferIfKnown))
                } catch {
                    loaded = .failure(error)
                }
                bar.finish()
                // What was stored is reported and audited before the index build, which may take long or fail.
                if case .success(let summary) = loaded {
                    try await stores.audit(
                        "memory.ingest", object: "memory", id: found.id.rawValue, context: found.id,
                        after: [
                            "added": .number(Double(summary.added)), "replaced": .number(Double(summary.replaced)),
                            "unchanged": .number(Double(summary.unchanged)),
                            "failed": .number(Double(summary.failed.count)),
                        ])
                    for line in summary.lines { print(line) }
                }
                if case .success(let summary) = loaded, summary.added + summary.replaced > 0 {
                    for line in await MemoryCommand.afterLoad(memory.store) {
                        FileHandle.standardError.write(Data((line + "\n").utf8))
                    }
                }
                if let dimension = deferred {
                    do {
                        _ = try await MemoryCommand.buildIndexes(
                            indexes, dimensions: [dimension], maintenanceMemory: maintenanceMemory)
                    } catch {
                        var message = "building the vector index failed: \(error)"
                        if case .failure(let loadError) = loaded { message += " (the load had failed too: \(loadError))" }
                        throw CLIError(
                            message + "; recall searches exactly until `tern memory index --rebuild` builds it")
                    }
                }
                if try loaded.get().failed.isEmpty == false { throw ExitCode.failure }
            }
        }
    }

    /// What a load leaves to do for recall to be fast, as lines for standard error: SQLite merges
    /// the keyword index's segments (each stored document added one, and a recall looks each
    /// word up in every one) when they are split enough to be worth it; PostgreSQL refreshes
    /// the planner's statistics (before autovacuum gets to a freshly loaded table it searched
    /// every vector exactly). A failure is a warning, not an error: everything is stored, and
    /// recall works meanwhile, only slower.
    static func afterLoad(_ store: any MemoryStore) async -> [String] {
        var lines: [String] = []
        var started = ContinuousClock.now
        do {
            if try await store.compactKeywordIndex(.ifFragmented) {
                lines.append("merged the keyword index in \(took(since: started))")
            }
        } catch {
            lines.append(
                "warning: merging the keyword index failed (\(error)); recall works but is slower until "
                    + "a later load, or `tern serve` after its own memory writes, merges it")
        }
        started = ContinuousClock.now
        do {
            if try await store.refreshStatistics() {
                lines.append("refreshed the database's statistics of the memories in \(took(since: started))")
            }
        } catch {
            lines.append(
                "warning: refreshing the statistics failed (\(error)); recall may search every vector exactly "
                    + "until autovacuum analyzes the memories (or run ANALYZE memories)")
        }
        return lines
    }

    private static func took(since started: ContinuousClock.Instant) -> String {
        (ContinuousClock.now - started).formatted(
            .units(allowed: [.seconds, .milliseconds], width: .abbreviated, fractionalPart: .show(length: 1)))
    }

    /// What an ingestion came to.
    struct IngestSummary: Equatable {
        var added = 0
        var replaced = 0
        var unchanged = 0
        var chunks = 0
        var unembedded = 0
        var embeddingProblem: String?
        var skipped: [String] = []
        var failed: [String] = []

        /// The report as printed.
        var lines: [String] {
            var lines = [
                "added \(added), replaced \(replaced), unchanged \(unchanged), skipped \(skipped.count), "
                    + "failed \(failed.count) (\(chunks) chunks stored)"
            ]
            if unembedded > 0 {
                lines.append(
                    "warning: \(unembedded) chunks have no embedding (\(embeddingProblem ?? "embedding failed")); "
                        + "keyword recall finds them, `tern memory reembed` adds vectors")
            }
            lines += skipped.map { "  skipped: \($0)" } + failed.map { "  failed: \($0)" }
            return lines
        }
    }

    /// Largest file read; bigger ones are skipped with a reason.
    static let maxFileBytes = 10 * 1024 * 1024

    /// Ingests every supported file under `paths`; a file that fails is reported, the rest go on.
    static func ingest(
        _ paths: [String], into context: ContextID, memory: MemoryService, progress: (Int, Int) -> Void = { _, _ in },
        afterDocument: () async throws -> Void = {}
    ) async throws -> IngestSummary {
        var summary = IngestSummary()
        var files: [(path: String, format: DocumentFormat)] = []
        for path in paths { collect(path, into: &files, skipped: &summary.skipped) }
        progress(0, files.count)
        for (index, file) in files.enumerated() {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: file.path))
                guard data.count <= maxFileBytes else {
                    summary.skipped.append("\(file.path): larger than \(maxFileBytes / 1024 / 1024) MiB")
                    continue
                }
                guard let text = String(data: data, encoding: .utf8), !text.contains("\u{0}") else {
                    summary.failed.append("\(file.path): not UTF-8 text")
                    continue
                }
                let report = try await memory.ingest(text, source: sourceName(file.path), format: file.format, in: context)
                switch report.outcome {
                case .added: summary.added += 1
                case .replaced: summary.replaced += 1
                case .unchanged: summary.unchanged += 1
                }
                if report.outcome != .unchanged { summary.chunks += report.chunkCount }
                summary.unembedded += report.unembedded
                summary.embeddingProblem = summary.embeddingProblem ?? report.embeddingProblem
            } catch let error as MemoryError {
                // The context's vectors come from another model: every other file would fail too.
                throw error
            } catch {
                summary.failed.append("\(file.path): \(error)")
            }
            progress(index + 1, files.count)
            try await afterDocument()
        }
        return summary
    }

    /// The files under `path` that memory reads (sorted), and why others were left out.
    static func collect(_ path: String, into files: inout [(path: String, format: DocumentFormat)], skipped: inout [String]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            skipped.append("\(path): no such file or directory")
            return
        }
        guard isDirectory.boolValue else {
            if let format = DocumentFormat(fileName: path) {
                files.append((path, format))
            } else {
                skipped.append("\(path): not a kind memory reads (\(DocumentFormat.names))")
            }
            return
        }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            skipped.append("\(path): cannot be read (\(error.localizedDescription))")
            return
        }
        for entry in entries.sorted() where !entry.hasPrefix(".") {
            let child = path.hasSuffix("/") ? path + entry : path + "/" + entry
            var childIsDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: child, isDirectory: &childIsDirectory) else {
                skipped.append("\(child): not found (a broken link, or removed while listing)")
                continue
            }
            if childIsDirectory.boolValue {
                collect(child, into: &files, skipped: &skipped)
            } else if let format = DocumentFormat(fileName: entry) {
                files.append((child, format))
            }
        }
    }

    /// The document's name: its path as given, without a leading `./`.
    static func sourceName(_ path: String) -> String {
        var name = path
        while name.hasPrefix("./") { name.removeFirst(2) }
        return name
    }
}
