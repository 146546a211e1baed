import Synchronization
import Testing
import TernCore
import TernMemory
import TernStore

/// What `tern memory status` and the admin API say recall does: keyword only while no memory
/// has a vector (the embedding server was down when they were stored), how many are embedded
/// while some are not, keyword + vector once all are.
@Suite(.timeLimit(.minutes(1))) struct MemoryStatusTests {
    @Test(arguments: MemoryBackend.allCases)
    func recallMode_saysKeywordOnly_untilMemoriesHaveVectors(_ backend: MemoryBackend) async throws {
        try await backend.withDatabase { database in
            let embedder = CountingEmbedder()
            embedder.failing.withLock { $0 = true }
            let memory = MemoryService(
                store: SQLMemoryStore(database: database),
                embeddings: EmbeddingService(provider: embedder, model: "fake-embed", batchSize: 8),
                logger: MemoryBackend.logger)
            _ = try await memory.remember("The VPN gateway is vpn.tern.example.", source: "user", in: .defaultContext)
            _ = try await memory.remember("Everyone gets 27 days of leave.", source: "user", in: .defaultContext)
            #expect(
                try await memory.status(in: .defaultContext).recallMode
                    == "keyword only: none of the 2 memories has a vector yet (run `tern memory reembed` to embed them with 'fake-embed')"
            )
            embedder.failing.withLock { $0 = false }
            _ = try await memory.remember("The office plant is called Fern.", source: "user", in: .defaultContext)
            #expect(
                try await memory.status(in: .defaultContext).recallMode
                    == "keyword + vector (fake-embed), 1 of 3 memories embedded "
                    + "(the others are found by keyword only; `tern memory reembed` embeds them)")
            #expect(try await memory.reembed(in: .defaultContext) == 3)
            #expect(try await memory.status(in: .defaultContext).recallMode == "keyword + vector (fake-embed)")
        }
    }

    @Test func recallMode_withoutMemories_orWithoutModel() {
        let none = MemoryStats(memories: 0, embedded: 0, documents: 0)
        #expect(
            MemoryService.Status(stats: none, settings: MemorySettings(), embeddingModel: "m").recallMode
                == "keyword + vector (m)")
        let some = MemoryStats(memories: 4, embedded: 0, documents: 0)
        #expect(
            MemoryService.Status(stats: some, settings: MemorySettings(), embeddingModel: nil).recallMode
                == "keyword only (no embedding model configured: set TERN_EMBEDDING_MODEL for vector recall)")
    }
}
