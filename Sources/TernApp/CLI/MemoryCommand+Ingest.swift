import ArgumentParser
import Foundation
import TernCore
import TernMemory

extension MemoryCommand {
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ingest files into a context's memory (markdown, text, HTML, source code).",
            discussion: """
                Directories are read recursively (hidden files and folders, and files of other kinds, are \
                skipped). Each file is one document named by its path as given: unchanged files are left \
                alone, changed ones replace their chunks, each in one transaction. Exits 1 when a file failed.
                """)
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String
        @Argument(help: "Files or directories.") var paths: [String]

        func run() async throws {
            try await MemoryCommand.withMemory(options) { memory, stores in
                let found = try await stores.context(context)
                let bar = ProgressBar(interactive: isatty(STDERR_FILENO) == 1)
                let summary = try await MemoryCommand.ingest(paths, into: found.id, memory: memory, progress: bar.show)
                bar.finish()
                try await stores.audit(
                    "memory.ingest", object: "memory", id: found.id.rawValue, context: found.id,
                    after: [
                        "added": .number(Double(summary.added)), "replaced": .number(Double(summary.replaced)),
                        "unchanged": .number(Double(summary.unchanged)), "failed": .number(Double(summary.failed.count)),
                    ])
                for line in summary.lines { print(line) }
                if !summary.failed.isEmpty { throw ExitCode.failure }
            }
        }
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
        _ paths: [String], into context: ContextID, memory: MemoryService, progress: (Int, Int) -> Void = { _, _ in }
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
