import Foundation
import Synchronization
import Testing
import TernCore
import TernMemory
import TernStore

/// Ingestion, recall, reembedding and the memory tools over the real SQL store, on SQLite and
/// (with `TERN_TEST_POSTGRES_URL`) PostgreSQL + pgvector.
@Suite(.timeLimit(.minutes(2))) struct MemoryServiceTests {
    static let handbook = """
        # Handbook

        ## VPN
        The VPN gateway is vpn.tern.example; its key rotates every Monday.

        ## Holidays
        Everyone gets 27 days of leave a year.
        """

    func service(_ database: any DatabaseHandle, _ embedder: CountingEmbedder?) -> MemoryService {
        MemoryService(
            store: SQLMemoryStore(database: database),
            embeddings: embedder.map { EmbeddingService(provider: $0, model: "fake-embed", batchSize: 8) },
            logger: MemoryBackend.logger)
    }

    @Test(arguments: MemoryBackend.allCases)
    func ingest_isIdempotent_andAChangedDocumentReplacesItsChunks(_ backend: MemoryBackend) async throws {
        try await backend.withDatabase { database in
            let embedder = CountingEmbedder()
            let memory = service(database, embedder)
            let first = try await memory.ingest(Self.handbook, source: "docs/handbook.md", format: .markdown, in: .defaultContext)
            #expect(first.outcome == .added)
            #expect(first.chunkCount == 2)
            #expect(first.unembedded == 0)
            let asked = embedder.texts.count
            let again = try await memory.ingest(Self.handbook, source: "docs/handbook.md", format: .markdown, in: .defaultContext)
            #expect(again.outcome == .unchanged)
            // A second service (no in-process cache) still embeds nothing for unchanged chunks.
            let fresh = CountingEmbedder()
            let edited = Self.handbook.replacingOccurrences(of: "27 days", with: "30 days")
            let replaced = try await service(database, fresh).ingest(
                edited, source: "docs/handbook.md", format: .markdown, in: .defaultContext)
            #expect(replaced.outcome == .replaced)
            #expect(fresh.texts.count == 1, "only the changed chunk is embedded: \(fresh.texts)")
            #expect(embedder.texts.count == asked)
            let documents = try await memory.store.documents(in: .defaultContext)
            #expect(documents.map(\.source) == ["docs/handbook.md"])
            #expect(try await memory.store.stats(in: .defaultContext).memories == 2)
            let hits = try await memory.recall("days of leave", k: 3, in: .defaultContext)
            #expect(hits.first?.memory.text.contains("30 days") == true)
            #expect(try await memory.recall("leave", k: 3, in: MemoryBackend.contextB).isEmpty)
        }
    }

    @Test(arguments: MemoryBackend.allCases)
    func failingEmbeddings_keepKeywordRecall_andReembedAddsTheVectors(_ backend: MemoryBackend) async throws {
        try await backend.withDatabase { database in
            let embedder = CountingEmbedder()
            embedder.failing.withLock { $0 = true }
            let memory = service(database, embedder)
            let report = try await memory.ingest(Self.handbook, source: "handbook.md", format: .markdown, in: .defaultContext)
            #expect(report.outcome == .added)
            #expect(report.unembedded == 2)
            #expect(report.embeddingProblem?.contains("connection refused") == true)
            _ = try await memory.remember("The office plant is called Fern.", source: "user", in: .defaultContext)
            let hits = try await memory.recall("VPN gateway", k: 2, in: .defaultContext)
            #expect(hits.first?.memory.text.contains("vpn.tern.example") == true)
            #expect(hits.first?.keywordRank == 1)
            embedder.failing.withLock { $0 = false }
            #expect(try await memory.reembed(in: .defaultContext) == 3)
            let stats = try await memory.store.stats(in: .defaultContext)
            #expect(stats.embedded == 3)
            #expect(try await memory.store.settings(in: .defaultContext).embedding?.dimension == 32)
        }
    }

    @Test(arguments: MemoryBackend.allCases)
    func anotherDimension_isAClearError_recallFallsBackToKeywords(_ backend: MemoryBackend) async throws {
        try await backend.withDatabase { database in
            _ = try await service(database, CountingEmbedder()).remember(
                "Deploys happen on Thursdays.", source: "user", in: .defaultContext)
            let narrower = service(database, CountingEmbedder(dimensions: 8))
            let error = await #expect(throws: MemoryError.self) {
                _ = try await narrower.ingest("Release notes live in docs/releases.", source: "r.txt", format: .text, in: .defaultContext)
            }
            #expect(error == .dimensionMismatch(recorded: 32, given: 8))
            #expect(error?.description.contains("32") == true && error?.description.contains("8") == true)
            #expect(try await narrower.recall("deploys Thursdays", k: 1, in: .defaultContext).count == 1)
            #expect(try await narrower.store.documents(in: .defaultContext).isEmpty)
        }
    }

    @Test(arguments: MemoryBackend.allCases)
    func tools_rememberAndRecall_inTheCallersContextOnly(_ backend: MemoryBackend) async throws {
        try await backend.withDatabase { database in
            let memory = service(database, CountingEmbedder())
            let remember = try RememberTool(memory: memory)
            let recall = try RecallTool(memory: memory)
            #expect(remember.spec.risk == .write && recall.spec.risk == .read)
            let caller = ToolContext(contextID: .defaultContext, userID: .localUser)
            let stored = try await remember.validatedCall(["text": "The coffee machine is on floor 3."], in: caller)
            #expect(!stored.isError)
            let found = try await recall.validatedCall(["query": "coffee machine", "k": 2], in: caller)
            #expect(found.text.contains("floor 3") && found.text.contains("remembered on"))
            let elsewhere = try await recall.validatedCall(
                ["query": "coffee machine"], in: ToolContext(contextID: MemoryBackend.contextB, userID: .localUser))
            #expect(elsewhere.text == "[]")
            await #expect(throws: ToolError.self) { _ = try await remember.validatedCall(["text": ""], in: caller) }
            await #expect(throws: ToolError.self) { _ = try await recall.validatedCall(["query": "x", "k": 0], in: caller) }
        }
    }
}
