import Synchronization
import Testing
import TernCore
import TernMemory
import TernTesting

/// Counts the texts a provider is asked to embed, answering with the fake LLM's vectors.
final class CountingEmbedder: ModelProvider {
    let batches = Mutex<[[String]]>([])
    let failing = Mutex(false)
    /// Vectors cut to this many dimensions (another model's size), when set.
    let dimensions: Int?

    init(dimensions: Int? = nil) {
        self.dimensions = dimensions
    }

    /// Every text asked for so far.
    var texts: [String] { batches.withLock { $0.flatMap { $0 } } }

    func embed(_ inputs: [String], model: String?) async throws -> [[Float]] {
        batches.withLock { $0.append(inputs) }
        if failing.withLock({ $0 }) {
            throw ModelError.connection(endpoint: "POST /v1/embeddings", reason: "connection refused")
        }
        return inputs.map { text in
            var vector = Array(FakeLLMServer.embedding(for: text).prefix(dimensions ?? .max))
            if vector.allSatisfy({ $0 == 0 }) { vector[0] = 1 }  // a cut vector must keep a direction
            return vector
        }
    }

    func complete(_ request: ChatRequest) async throws -> ChatCompletion { throw CancellationError() }
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        AsyncThrowingStream { $0.finish(throwing: CancellationError()) }
    }
    func models() async throws -> [ModelInfo] { [] }
}

@Suite struct EmbeddingServiceTests {
    @Test func embed_batchesAndCachesByContent() async throws {
        let provider = CountingEmbedder()
        let service = EmbeddingService(provider: provider, model: "m", batchSize: 2)
        let first = try await service.embed(["a", "b", "c"])
        #expect(first == ["a", "b", "c"].map(FakeLLMServer.embedding(for:)))
        #expect(provider.batches.withLock { $0 } == [["a", "b"], ["c"]])
        _ = try await service.embed(["c", "d", "a"])
        #expect(provider.batches.withLock { $0 }.last == ["d"])
        #expect(service.cached("d") == FakeLLMServer.embedding(for: "d"))
    }

    @Test func cache_evictsLeastRecentlyUsed() {
        let cache = EmbeddingCache(capacity: 2)
        cache.store([1], for: "a")
        cache.store([2], for: "b")
        _ = cache.vector(for: "a")
        cache.store([3], for: "c")
        #expect(cache.vector(for: "b") == nil)
        #expect(cache.vector(for: "a") == [1])
        #expect(cache.vector(for: "c") == [3])
        #expect(cache.stats.evictions == 1)
        #expect(cache.stats.entries == 2)
    }
}
