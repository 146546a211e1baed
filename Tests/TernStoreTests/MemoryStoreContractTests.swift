import Foundation
import SQLKit
import Testing
import TernCore
import TernStore

/// The ``MemoryStore`` contract on SQLite and PostgreSQL + pgvector: remember, recall (keyword,
/// vector, fused), forget, list, isolation between contexts, the recorded embedding dimension.
/// Embeddings are small hand-made vectors so every rank is known.
@Suite(.timeLimit(.minutes(1))) struct MemoryStoreContractTests {
    static let contextA = ContextID.defaultContext
    static let contextB = SQLBackend.contextB
    static let model = "test-embedder"

    static func embedding(_ vector: [Float], model: String = model) -> MemoryEmbedding {
        MemoryEmbedding(vector: vector, model: model)
    }

    func withStore(_ backend: SQLBackend, _ body: (SQLMemoryStore, any DatabaseHandle) async throws -> Void)
        async throws
    {
        try await backend.withStore({ SQLMemoryStore(database: $0) }) { store, database in
            try await body(store, database)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func remember_recall_forget(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.remember(
                NewMemory(
                    text: "The wifi password at the cabin is heron-42", source: "user",
                    metadata: ["conversation": "c1"], embedding: Self.embedding([1, 0, 0, 0])),
                in: Self.contextA)
            _ = try await store.remember(NewMemory(text: "Lunch is at noon", source: "user"), in: Self.contextA)
            let hits = try await store.recall(MemoryQuery(text: "what is the cabin wifi password?"), in: Self.contextA)
            #expect(hits.map(\.memory.id) == [id])
            #expect(hits.first?.memory.metadata == ["conversation": "c1"])
            #expect(hits.first?.memory.hasEmbedding == true && hits.first?.keywordRank == 1)
            let stored = try await store.memory(id, in: Self.contextA)
            #expect(stored.text == "The wifi password at the cabin is heron-42" && stored.source == "user")
            try await store.forget(id, in: Self.contextA)
            #expect(try await store.recall(MemoryQuery(text: "cabin wifi"), in: Self.contextA).isEmpty)
            await #expect(throws: StoreError.notFound("memory \(id)")) { try await store.forget(id, in: Self.contextA) }
            await #expect(throws: StoreError.notFound("memory \(id)")) { try await store.memory(id, in: Self.contextA) }
            #expect(try await store.stats(in: Self.contextA) == MemoryStats(memories: 1, embedded: 0, documents: 0))
        }
    }

    /// A labelled set: `both` matches the words and lies next to the query vector, `words` only
    /// matches the words, `near` only lies near, `neither` does neither. Fusion puts `both`
    /// first; a similarity threshold drops `far` vectors, never keyword matches.
    @Test(arguments: SQLBackend.allCases)
    func recall_fusesKeywordAndVectorLists(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _ in
            func remember(_ text: String, _ vector: [Float]) async throws -> MemoryID {
                try await store.remember(
                    NewMemory(text: text, source: "user", embedding: Self.embedding(vector)), in: Self.contextA)
            }
            let both = try await remember("Ada's favourite tea is jasmine", [1, 0.1, 0, 0])
            let words = try await remember("Jasmine flowers bloom in May", [0, 0, 1, 0])
            let near = try await remember("Ada drinks green tea every morning", [0.9, 0.3, 0, 0])
            let neither = try await remember("The car is parked outside", [0, 0, 0, 1])
            let query = MemoryQuery(
                text: "jasmine", embedding: Self.embedding([1, 0, 0, 0]), k: 10, minimumSimilarity: 0.5)
            let hits = try await store.recall(query, in: Self.contextA)
            #expect(hits.first?.memory.id == both)
            #expect(Set(hits.map(\.memory.id)) == [both, words, near])
            #expect(!hits.map(\.memory.id).contains(neither))
            let byID = Dictionary(uniqueKeysWithValues: hits.map { ($0.memory.id, $0) })
            #expect(byID[both]?.keywordRank != nil && byID[both]?.vectorRank == 1)
            #expect(byID[words]?.keywordRank != nil && byID[words]?.vectorRank == nil)
            #expect(byID[near]?.keywordRank == nil && byID[near]?.vectorRank == 2)
            let bothHit = try #require(byID[both])
            let expected = 1 / (60 + Double(bothHit.keywordRank!)) + 1 / 61
            #expect(abs(bothHit.score - expected) < 1e-12)
            #expect(abs((byID[near]?.similarity ?? 0) - 0.9 / (0.81 + 0.09).squareRoot()) < 1e-5)
            // Hits come sorted by the fused score.
            #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >))
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func recall_keepsKeywordMatchesBelowTheSimilarityThreshold(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.remember(
                NewMemory(text: "Invoice 7781 is overdue", source: "user", embedding: Self.embedding([0, 1, 0, 0])),
                in: Self.contextA)
            let query = MemoryQuery(text: "invoice 7781", embedding: Self.embedding([1, 0, 0, 0]), minimumSimilarity: 0.9)
            let hits = try await store.recall(query, in: Self.contextA)
            #expect(hits.map(\.memory.id) == [id])
            #expect(hits.first?.keywordRank == 1 && hits.first?.vectorRank == nil)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func recall_worksByKeywordWithoutAnyEmbedding(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.remember(NewMemory(text: "Grandma's birthday is on 3 March", source: "user"), in: Self.contextA)
            // The context has recorded no dimension yet: a query embedding is ignored, not an error.
            let query = MemoryQuery(text: "When is grandma's birthday?", embedding: Self.embedding([1, 2, 3]))
            let hits = try await store.recall(query, in: Self.contextA)
            #expect(hits.map(\.memory.id) == [id])
            #expect(hits.first?.vectorRank == nil && hits.first?.similarity == nil)
            // Stemming: "birthdays" finds "birthday".
            #expect(try await store.recall(MemoryQuery(text: "birthdays"), in: Self.contextA).map(\.memory.id) == [id])
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func recall_acceptsAnyTextAsAQuery(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.remember(NewMemory(text: "Meeting NEAR the river AND the bridge", source: "user"), in: Self.contextA)
            for text in [
                "\"river", "river\"", "NEAR(river bridge)", "river AND", "OR bridge", "-river", "river*", "^bridge",
                "col:river", "(river", "'river'", "river & bridge | !x", "river <-> bridge", "\\river", "NOT",
            ] {
                let hits = try await store.recall(MemoryQuery(text: text), in: Self.contextA)
                if text != "NOT" { #expect(hits.map(\.memory.id) == [id], "query \(text)") }
            }
            #expect(try await store.recall(MemoryQuery(text: "\"*-:()"), in: Self.contextA).isEmpty)
            #expect(try await store.recall(MemoryQuery(text: ""), in: Self.contextA).isEmpty)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func contexts_neverSeeEachOthersMemories(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.remember(
                NewMemory(text: "The vault code is 1234", source: "user", embedding: Self.embedding([1, 0, 0])),
                in: Self.contextA)
            _ = try await store.ingest(
                MemoryDocument(source: "notes.md", contentHash: "h1", chunks: [MemoryChunk(text: "vault notes")]),
                in: Self.contextA)
            let query = MemoryQuery(text: "vault code", embedding: Self.embedding([1, 0, 0]))
            #expect(try await store.recall(query, in: Self.contextB).isEmpty)
            #expect(try await store.list(in: Self.contextB, page: MemoryPageRequest()).memories.isEmpty)
            #expect(try await store.documents(in: Self.contextB).isEmpty)
            await #expect(throws: StoreError.notFound("memory \(id)")) { try await store.forget(id, in: Self.contextB) }
            await #expect(throws: StoreError.notFound("memory \(id)")) { try await store.memory(id, in: Self.contextB) }
            await #expect(throws: StoreError.notFound("memory document notes.md")) {
                try await store.deleteDocument(source: "notes.md", in: Self.contextB)
            }
            #expect(try await store.setEmbeddings([id: Self.embedding([0, 1, 0])], in: Self.contextB) == 0)
            #expect(try await store.cachedEmbeddings(for: ["The vault code is 1234"], model: Self.model, in: Self.contextB).isEmpty)
            // B's own embedding dimension is its own.
            _ = try await store.remember(
                NewMemory(text: "other", source: "user", embedding: Self.embedding([1, 0, 0, 0, 0])), in: Self.contextB)
            #expect(try await store.settings(in: Self.contextB).embedding == MemoryEmbeddingInfo(dimension: 5, model: Self.model))
            #expect(try await store.settings(in: Self.contextA).embedding == MemoryEmbeddingInfo(dimension: 3, model: Self.model))
            #expect(try await store.recall(query, in: Self.contextA).first?.memory.id == id)
            #expect(try await store.stats(in: Self.contextA) == MemoryStats(memories: 2, embedded: 1, documents: 1))
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func embeddings_ofAnotherDimensionOrModel_areRefusedNamingBoth(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.remember(
                NewMemory(text: "first", source: "user", embedding: Self.embedding([1, 0, 0, 0])), in: Self.contextA)
            let error = await #expect(throws: MemoryError.dimensionMismatch(recorded: 4, given: 3)) {
                _ = try await store.remember(
                    NewMemory(text: "second", source: "user", embedding: Self.embedding([1, 0, 0])), in: Self.contextA)
            }
            #expect(error.map { "\($0)" }?.contains("have 4 dimensions, the embedding given has 3") == true)
            await #expect(throws: MemoryError.dimensionMismatch(recorded: 4, given: 3)) {
                _ = try await store.recall(MemoryQuery(text: "first", embedding: Self.embedding([1, 0, 0])), in: Self.contextA)
            }
            await #expect(throws: MemoryError.modelMismatch(recorded: Self.model, given: "other-model")) {
                _ = try await store.ingest(
                    MemoryDocument(
                        source: "a.md", contentHash: "h",
                        chunks: [MemoryChunk(text: "x", embedding: Self.embedding([0, 1, 0, 0], model: "other-model"))]),
                    in: Self.contextA)
            }
            await #expect(throws: StoreError.invalid("embedding is all zeros (it has no direction to compare)")) {
                _ = try await store.remember(
                    NewMemory(text: "zero", source: "user", embedding: Self.embedding([0, 0, 0, 0])), in: Self.contextA)
            }
            // Nothing of the refused calls was stored.
            #expect(try await store.stats(in: Self.contextA) == MemoryStats(memories: 1, embedded: 1, documents: 0))
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func list_pagesNewestFirst_andFiltersByKind(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _ in
            var ids: [MemoryID] = []
            for index in 0..<5 {
                ids.append(try await store.remember(NewMemory(text: "fact \(index)", source: "user"), in: Self.contextA))
            }
            _ = try await store.ingest(
                MemoryDocument(source: "docs/a.md", contentHash: "h", chunks: [MemoryChunk(text: "chunk")]), in: Self.contextA)
            var seen: [MemoryID] = []
            var cursor: MemoryCursor?
            repeat {
                let page = try await store.list(
                    in: Self.contextA, page: MemoryPageRequest(cursor: cursor, limit: 2, filter: MemoryFilter(kind: .facts)))
                seen += page.memories.map(\.id)
                cursor = page.next.flatMap { MemoryCursor(token: $0.token) }
            } while cursor != nil
            #expect(seen == ids.reversed())
            let documents = try await store.list(
                in: Self.contextA, page: MemoryPageRequest(filter: MemoryFilter(sourcePrefix: "docs/")))
            #expect(documents.memories.map(\.text) == ["chunk"] && documents.memories.first?.chunkIndex == 0)
            // A prefix is compared by Unicode scalars, as the databases count: "é" written as e + U+0301
            // is one Character but two scalars.
            _ = try await store.remember(NewMemory(text: "accent", source: "cafe\u{301}/menu"), in: Self.contextA)
            let accented = try await store.list(
                in: Self.contextA, page: MemoryPageRequest(filter: MemoryFilter(sourcePrefix: "cafe\u{301}/")))
            #expect(accented.memories.map(\.text) == ["accent"])
            await #expect(throws: StoreError.invalid("limit must be 1…500, got 0")) {
                _ = try await store.list(in: Self.contextA, page: MemoryPageRequest(limit: 0))
            }
        }
    }
}
