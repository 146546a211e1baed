import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import TernCore
import TernLLM
import TernMemory
import TernStore

/// `tern memory …`: a context's long-term memory — ingest files, recall, list, forget, rebuild
/// embeddings, status and settings.
struct MemoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory", abstract: "Ingest, recall, list and forget a context's memories.",
        subcommands: [
            Ingest.self, Recall.self, List.self, Forget.self, Reembed.self, Status.self, Settings.self, Index.self,
        ])

    struct Recall: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the memories a query recalls, best first.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String
        @Argument(help: "What to look for.") var query: String
        @Option(help: "How many memories at most (1-100).") var k = 5

        func run() async throws {
            try await MemoryCommand.withMemory(options) { memory, stores in
                let found = try await stores.context(context)
                let hits = try await memory.recall(query, k: k, in: found.id)
                if hits.isEmpty { print("Nothing recalled.") }
                printTable(
                    ["ID", "SCORE", "FOUND BY", "SOURCE", "TEXT"],
                    hits.map { hit in
                        [
                            hit.memory.id.rawValue, String(format: "%.4f", hit.score), MemoryCommand.foundBy(hit),
                            TurnMemory.source(of: hit.memory), MemoryCommand.preview(hit.memory.text),
                        ]
                    })
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List memories, newest first, or the ingested documents.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String
        @Option(help: "Memories per page (1-500).") var limit = 50
        @Option(help: "Continue after this cursor (printed under a full page).") var cursor: String?
        @Flag(help: "List ingested documents instead of memories.") var documents = false

        func run() async throws {
            try await MemoryCommand.withMemory(options) { memory, stores in
                let found = try await stores.context(context)
                if documents {
                    printTable(
                        ["SOURCE", "CHUNKS", "UPDATED", "HASH"],
                        try await memory.store.documents(in: found.id).map {
                            [$0.source, String($0.chunkCount), format($0.updatedAt), String($0.contentHash.prefix(12))]
                        })
                    return
                }
                var after: MemoryCursor?
                if let cursor {
                    guard let parsed = MemoryCursor(token: cursor) else {
                        throw CLIError("--cursor '\(cursor)' is not a cursor tern printed")
                    }
                    after = parsed
                }
                let page = try await memory.store.list(in: found.id, page: MemoryPageRequest(cursor: after, limit: limit))
                printTable(
                    ["ID", "CREATED", "SOURCE", "TEXT"],
                    page.memories.map { [$0.id.rawValue, format($0.createdAt), $0.source, MemoryCommand.preview($0.text)] })
                if let next = page.next { print("more: --cursor \(next.token)") }
            }
        }
    }

    struct Forget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete one memory (a fact or a document chunk).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String
        @Argument(help: "The memory's id (tern memory list).") var id: String

        func run() async throws {
            try await MemoryCommand.withMemory(options) { memory, stores in
                let found = try await stores.context(context)
                try await memory.store.forget(MemoryID(id), in: found.id)
                try await stores.audit("memory.forget", object: "memory", id: id, context: found.id)
                print("Forgot \(id) in '\(found.name)'.")
            }
        }
    }

    struct Reembed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop a context's embeddings and embed every memory again with TERN_EMBEDDING_MODEL.",
            discussion: "Run after changing the embedding model. Keyword recall keeps working meanwhile.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String

        func run() async throws {
            try await MemoryCommand.withMemory(options) { memory, stores in
                let found = try await stores.context(context)
                let bar = ProgressBar(interactive: isatty(STDERR_FILENO) == 1)
                let count = try await memory.reembed(in: found.id, progress: bar.show)
                bar.finish()
                try await stores.audit(
                    "memory.reembed", object: "memory", id: found.id.rawValue, context: found.id,
                    after: ["embedded": .number(Double(count)), "model": .string(memory.embeddings?.model ?? "")])
                print("Embedded \(count) memories in '\(found.name)' with \(memory.embeddings?.model ?? "-").")
            }
        }
    }

    /// Runs `body` with memory over the configured database and embedding server.
    static func withMemory(_ options: ConfigOptions, _ body: (MemoryService, AdminStores) async throws -> Void) async throws {
        try await AdminStores.with(options) { stores in
            let logger = bootstrapLogging(level: stores.config.logLevel < .warning ? .warning : stores.config.logLevel)
            let httpClient = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: OpenAIClientConfiguration(baseURL: stores.config.embedding?.baseURL ?? "").httpClientConfiguration)
            let memory = MemoryService(
                store: SQLMemoryStore(database: stores.database),
                embeddings: Dependencies.makeEmbeddings(stores.config, httpClient: httpClient, logger: logger),
                logger: logger.labelled("tern.memory"))
            do {
                try await body(memory, stores)
            } catch {
                try await httpClient.shutdown()
                if let refused = error as? MemoryError { throw CLIError(refused.description) }
                throw error
            }
            try await httpClient.shutdown()
        }
    }

    /// The first line of `text`, at most 80 characters.
    static func preview(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 80 ? String(line.prefix(79)) + "…" : line
    }

    /// `keyword`, `vector`, or both, with ranks.
    static func foundBy(_ hit: MemoryHit) -> String {
        var parts: [String] = []
        if let rank = hit.keywordRank { parts.append("keyword #\(rank)") }
        if let rank = hit.vectorRank { parts.append("vector #\(rank)") }
        return parts.joined(separator: ", ")
    }
}
