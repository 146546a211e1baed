import Foundation
import Testing
import TernCore
import TernMemory
import TernStore

/// What memory adds to a turn when the query's embedding is cached: `TurnMemory.prompt` (the
/// settings read, the cached embedding, hybrid recall on SQLite, the system message) timed over
/// many calls. A measurement, not a test: it runs only with `TERN_BENCH_MEMORY_TURN=<memories>`
/// and prints numbers (docs/benchmarks.md, "Issue 18: memory in the turn"); nothing is asserted
/// about time.
@Suite struct MemoryTurnOverheadBenchmark {
    static let memories = Int(ProcessInfo.processInfo.environment["TERN_BENCH_MEMORY_TURN"] ?? "") ?? 0

    /// 384-dimension unit vectors from a text's hash: stable, spread out, no server needed.
    final class HashEmbedder: ModelProvider {
        func embed(_ inputs: [String], model: String?) async throws -> [[Float]] {
            inputs.map { text in
                var state = UInt64(truncatingIfNeeded: text.hashValue) | 1
                var vector = (0..<384).map { _ -> Float in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 1000
                }
                let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                vector = vector.map { $0 / norm }
                return vector
            }
        }
        func complete(_ request: ChatRequest) async throws -> ChatCompletion { throw CancellationError() }
        func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
            AsyncThrowingStream { $0.finish(throwing: CancellationError()) }
        }
        func models() async throws -> [ModelInfo] { [] }
    }

    @Test(.enabled(if: memories > 0)) func promptWithCachedEmbedding() async throws {
        try await MemoryBackend.sqlite.withDatabase { database in
            let store = SQLMemoryStore(database: database)
            let embeddings = EmbeddingService(provider: HashEmbedder(), model: "hash-384")
            let service = MemoryService(store: store, embeddings: embeddings, logger: MemoryBackend.logger)
            let words = ["deploy", "vpn", "backup", "runner", "invoice", "holiday", "pager", "release", "schema", "budget"]
            var document = 0
            while document * 100 < Self.memories {
                let texts = (0..<min(100, Self.memories - document * 100)).map { index in
                    "Note \(document)-\(index): the \(words[index % 10]) of team \(document % 37) is handled by \(words[(index / 10) % 10])."
                }
                let vectors = try await embeddings.provider.embed(texts, model: nil)
                _ = try await store.ingest(
                    MemoryDocument(
                        source: "notes/\(document).md", contentHash: "\(document)",
                        chunks: zip(texts, vectors).map { MemoryChunk(text: $0, embedding: MemoryEmbedding(vector: $1, model: "hash-384")) }
                    ),
                    in: .defaultContext)
                document += 1
            }
            let turn = TurnMemory(service: service, model: HashEmbedder(), summaryModel: "none", logger: MemoryBackend.logger)
            let query = "who handles the vpn backup of team 12?"
            _ = try await embeddings.embed(query)  // cached from here on, as for a repeated question
            func measure(_ label: String, _ rounds: Int = 500) async {
                var samples: [Duration] = []
                for round in 0..<(rounds + 50) {
                    let start = ContinuousClock.now
                    _ = await turn.prompt(for: query, in: .defaultContext)
                    if round >= 50 { samples.append(ContinuousClock.now - start) }
                }
                samples.sort()
                let ms = { (d: Duration) in
                    String(format: "%.3f", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000)
                }
                print(
                    "memory-turn \(label) memories=\(Self.memories) p50=\(ms(samples[samples.count / 2]))ms p99=\(ms(samples[samples.count * 99 / 100]))ms"
                )
            }
            await measure("recall-on")
            var off = MemoryPreferences.defaults
            off.enabled = false
            try await store.setPreferences(off, in: .defaultContext)
            await measure("recall-off")
        }
    }
}
