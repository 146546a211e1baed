import Foundation
import Testing
import TernCore
import TernStore

/// The memory store's recall caches (settings, "no vector changed", held vectors): a change
/// through the store applies to the very next recall, contexts never see each other's memories,
/// and a change by another process shows within the cache's age.
@Suite(.timeLimit(.minutes(1))) struct MemoryRecallCacheTests {
    static let contextA = ContextID.defaultContext
    static let contextB = SQLBackend.contextB

    static func query(_ vector: [Float], k: Int = 3, model: String = "m1") -> MemoryQuery {
        MemoryQuery(text: "", embedding: MemoryEmbedding(vector: vector, model: model), k: k)
    }

    static func memory(_ text: String, _ vector: [Float], model: String = "m1") -> NewMemory {
        NewMemory(text: text, source: "test", embedding: MemoryEmbedding(vector: vector, model: model))
    }

    @Test(arguments: SQLBackend.allCases)
    func remember_isFoundByTheNextRecall_andForget_isNot(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLMemoryStore(database: $0) }) { store, _ in
            let first = try await store.remember(Self.memory("first", [1, 0, 0, 0]), in: Self.contextA)
            #expect(try await store.recall(Self.query([1, 0, 0, 0]), in: Self.contextA).map(\.memory.id) == [first])
            // The caches are warm now; a new memory must still be found at once.
            let second = try await store.remember(Self.memory("second", [0, 1, 0, 0]), in: Self.contextA)
            #expect(try await store.recall(Self.query([0, 1, 0, 0], k: 1), in: Self.contextA).map(\.memory.id) == [second])
            try await store.forget(second, in: Self.contextA)
            #expect(try await store.recall(Self.query([0, 1, 0, 0]), in: Self.contextA).map(\.memory.id) == [first])
            let document = try await store.ingest(
                MemoryDocument(
                    source: "d.md", contentHash: "h1",
                    chunks: [MemoryChunk(text: "chunk", embedding: MemoryEmbedding(vector: [0, 0, 1, 0], model: "m1"))]),
                in: Self.contextA)
            #expect(document.outcome == .added)
            #expect(try await store.recall(Self.query([0, 0, 1, 0], k: 1), in: Self.contextA).first?.memory.text == "chunk")
            try await store.deleteDocument(source: "d.md", in: Self.contextA)
            #expect(try await store.recall(Self.query([0, 0, 1, 0]), in: Self.contextA).map(\.memory.id) == [first])
        }
    }

    /// Re-embedding with another model (settings row: model and dimension) applies to the next
    /// recall: the cached settings would refuse the new model's query as a mismatch.
    @Test(arguments: SQLBackend.allCases)
    func reembedWithAnotherModel_appliesToTheNextRecall(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLMemoryStore(database: $0) }) { store, _ in
            let id = try await store.remember(Self.memory("fact", [1, 0, 0, 0]), in: Self.contextA)
            #expect(try await store.recall(Self.query([1, 0, 0, 0]), in: Self.contextA).map(\.memory.id) == [id])
            try await store.resetEmbeddings(in: Self.contextA)
            #expect(
                try await store.setEmbeddings([id: MemoryEmbedding(vector: [0, 1, 0], model: "m2")], in: Self.contextA) == 1)
            let hits = try await store.recall(Self.query([0, 1, 0], model: "m2"), in: Self.contextA)
            #expect(hits.map(\.memory.id) == [id] && hits.first?.vectorRank == 1)
            await #expect(throws: MemoryError.self) {
                _ = try await store.recall(Self.query([1, 0, 0, 0]), in: Self.contextA)
            }
        }
    }

    /// With both contexts' vectors cached, a recall in one never returns the other's memory.
    @Test(arguments: SQLBackend.allCases)
    func cachedVectors_stayInTheirContext(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLMemoryStore(database: $0) }) { store, _ in
            let a = try await store.remember(Self.memory("alpha", [1, 0, 0, 0]), in: Self.contextA)
            let b = try await store.remember(Self.memory("beta", [1, 0, 0, 0]), in: Self.contextB)
            for _ in 0..<2 {
                #expect(try await store.recall(Self.query([1, 0, 0, 0], k: 5), in: Self.contextA).map(\.memory.id) == [a])
                #expect(try await store.recall(Self.query([1, 0, 0, 0], k: 5), in: Self.contextB).map(\.memory.id) == [b])
            }
            let later = try await store.remember(Self.memory("gamma", [0.9, 0.1, 0, 0]), in: Self.contextA)
            #expect(try await store.recall(Self.query([1, 0, 0, 0], k: 5), in: Self.contextB).map(\.memory.id) == [b])
            #expect(try await store.recall(Self.query([1, 0, 0, 0], k: 5), in: Self.contextA).map(\.memory.id) == [a, later])
        }
    }

    /// A memory remembered through another store (as by another process) is found by vector
    /// once the cache's age has passed, and one forgotten there is never returned.
    @Test(arguments: SQLBackend.allCases)
    func anotherWriter_isSeenWithinTheCacheAge(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLMemoryStore(database: $0, cacheMaxAge: .milliseconds(20)) }) { store, database in
            let other = SQLMemoryStore(database: database)
            let first = try await other.remember(Self.memory("first", [1, 0, 0, 0]), in: Self.contextA)
            #expect(try await store.recall(Self.query([1, 0, 0, 0]), in: Self.contextA).map(\.memory.id) == [first])
            let added = try await other.remember(Self.memory("added", [0, 1, 0, 0]), in: Self.contextA)
            let deadline = ContinuousClock.now + .seconds(10)
            var found: [MemoryID] = []
            while ContinuousClock.now < deadline {
                found = try await store.recall(Self.query([0, 1, 0, 0], k: 1), in: Self.contextA).map(\.memory.id)
                if found == [added] { break }
                await Task.yield()
            }
            #expect(found == [added])
            try await other.forget(first, in: Self.contextA)
            #expect(try await store.recall(Self.query([1, 0, 0, 0]), in: Self.contextA).allSatisfy { $0.memory.id != first })
        }
    }
}
