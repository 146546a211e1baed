import Foundation
import SQLKit
import Testing
import TernCore
import TernStore

/// Ingestion (one transaction per document, idempotent by content hash), settings, and what
/// `tern memory reembed` uses, on SQLite and PostgreSQL + pgvector.
@Suite(.timeLimit(.minutes(1))) struct MemoryStoreIngestTests {
    static let context = ContextID.defaultContext
    static let model = MemoryStoreContractTests.model

    static func document(_ hash: String, _ texts: [String], embedded: Bool = true) -> MemoryDocument {
        MemoryDocument(
            source: "handbook/leave.md", contentHash: hash,
            chunks: texts.enumerated().map { index, text in
                MemoryChunk(
                    text: text,
                    embedding: embedded ? MemoryEmbedding(vector: [1, Float(index), 0], model: model) : nil)
            },
            metadata: ["type": "text/markdown"])
    }

    func withStore(_ backend: SQLBackend, _ body: (SQLMemoryStore, any DatabaseHandle) async throws -> Void)
        async throws
    {
        try await backend.withStore({ SQLMemoryStore(database: $0) }) { store, database in
            try await body(store, database)
        }
    }

    func chunkTexts(_ store: SQLMemoryStore) async throws -> [String] {
        try await store.list(in: Self.context, page: MemoryPageRequest(limit: 500, filter: MemoryFilter(kind: .documents)))
            .memories.sorted { ($0.chunkIndex ?? 0) < ($1.chunkIndex ?? 0) }.map(\.text)
    }

    @Test(arguments: SQLBackend.allCases)
    func ingest_sameHashIsUnchanged_changedHashReplacesTheChunks(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _ in
            let added = try await store.ingest(Self.document("h1", ["Staff get 25 days of leave", "Carry over 5"]), in: Self.context)
            #expect(added.outcome == .added && added.chunkCount == 2)
            let before = try await store.list(in: Self.context, page: MemoryPageRequest())
            let again = try await store.ingest(Self.document("h1", ["Staff get 25 days of leave", "Carry over 5"]), in: Self.context)
            #expect(again == MemoryIngestResult(outcome: .unchanged, documentID: added.documentID, chunkCount: 2))
            #expect(try await store.list(in: Self.context, page: MemoryPageRequest()) == before)

            let replaced = try await store.ingest(Self.document("h2", ["Staff get 30 days of paid vacation"]), in: Self.context)
            #expect(replaced == MemoryIngestResult(outcome: .replaced, documentID: added.documentID, chunkCount: 1))
            #expect(try await chunkTexts(store) == ["Staff get 30 days of paid vacation"])
            #expect(try await store.recall(MemoryQuery(text: "carry over"), in: Self.context).isEmpty)
            let hits = try await store.recall(MemoryQuery(text: "vacation days"), in: Self.context)
            #expect(hits.map(\.memory.source) == ["handbook/leave.md"])
            #expect(hits.first?.memory.metadata == ["type": "text/markdown"] && hits.first?.memory.documentID == added.documentID)
            let documents = try await store.documents(in: Self.context)
            #expect(documents.map(\.contentHash) == ["h2"] && documents.map(\.chunkCount) == [1])

            try await store.deleteDocument(source: "handbook/leave.md", in: Self.context)
            #expect(try await store.documents(in: Self.context).isEmpty)
            #expect(try await store.recall(MemoryQuery(text: "vacation"), in: Self.context).isEmpty)
        }
    }

    /// A chunk insert that fails (a trigger refuses one text) rolls the whole document back: the
    /// previous version, its hash and its chunks are all still there.
    @Test(arguments: SQLBackend.allCases)
    func ingest_failingChunkInsert_leavesThePreviousVersionWhole(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, database in
            _ = try await store.ingest(Self.document("h1", ["old one", "old two"]), in: Self.context)
            try await database.write { db in
                switch database.dialect {
                case .sqlite:
                    try await db.raw(
                        """
                        CREATE TRIGGER refuse_boom BEFORE INSERT ON memories WHEN new.text = 'boom'
                        BEGIN SELECT RAISE(ABORT, 'boom refused'); END
                        """
                    ).run()
                case .postgres:
                    try await db.raw(
                        """
                        CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN IF NEW.text = 'boom' THEN RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END $$
                        """
                    ).run()
                    try await db.raw(
                        "CREATE TRIGGER refuse_boom BEFORE INSERT ON memories FOR EACH ROW EXECUTE FUNCTION refuse_boom()"
                    ).run()
                }
            }
            let texts = (0..<250).map { "new chunk \($0)" } + ["boom"]
            let error = await #expect(throws: StoreError.self) {
                _ = try await store.ingest(Self.document("h2", texts, embedded: false), in: Self.context)
            }
            #expect("\(error.map { "\($0)" } ?? "")".contains("boom refused"))
            #expect(try await chunkTexts(store) == ["old one", "old two"])
            #expect(try await store.documents(in: Self.context).map(\.contentHash) == ["h1"])
            #expect(try await store.recall(MemoryQuery(text: "old"), in: Self.context).count == 2)
            #expect(try await store.recall(MemoryQuery(text: "new chunk"), in: Self.context).isEmpty)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func ingest_refusesBadDocumentsNamingTheProblem(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _ in
            await #expect(throws: StoreError.invalid("document a.md has no chunks")) {
                _ = try await store.ingest(MemoryDocument(source: "a.md", contentHash: "h", chunks: []), in: Self.context)
            }
            await #expect(throws: StoreError.invalid("chunk 1 of document a.md is empty")) {
                _ = try await store.ingest(
                    MemoryDocument(source: "a.md", contentHash: "h", chunks: [MemoryChunk(text: "a"), MemoryChunk(text: " ")]),
                    in: Self.context)
            }
            await #expect(throws: StoreError.invalid("embeddings of one call must have one dimension, got 3 and 2")) {
                _ = try await store.ingest(
                    MemoryDocument(
                        source: "a.md", contentHash: "h",
                        chunks: [
                            MemoryChunk(text: "a", embedding: MemoryEmbedding(vector: [1, 0, 0], model: Self.model)),
                            MemoryChunk(text: "b", embedding: MemoryEmbedding(vector: [1, 0], model: Self.model)),
                        ]),
                    in: Self.context)
            }
            let stats = try await store.stats(in: Self.context)
            #expect(stats == MemoryStats(memories: 0, embedded: 0, documents: 0))
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func preferences_defaultThenPersist_andBadValuesAreRefusedByName(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _ in
            let initial = try await store.settings(in: Self.context)
            #expect(initial == MemorySettings())
            let preferences = MemoryPreferences(enabled: false, k: 8, minimumScore: 0.45, summarizeTurns: true)
            #expect(try await store.setPreferences(preferences, in: Self.context).preferences == preferences)
            #expect(try await store.settings(in: Self.context).preferences == preferences)
            await #expect(
                throws: StoreError.invalid("k must be 1…100, got 0; minimum_score must be between 0 and 1, got 1.5")
            ) {
                try await store.setPreferences(MemoryPreferences(k: 0, minimumScore: 1.5), in: Self.context)
            }
            #expect(try await store.settings(in: Self.context).preferences == preferences)
        }
    }

    /// What `tern memory reembed` does: reset, page through rows without embeddings, set them
    /// with the new model; recall by vector works with the new dimension afterwards.
    @Test(arguments: SQLBackend.allCases)
    func reembed_resetsThenFillsWithANewModel(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.ingest(Self.document("h1", ["alpha", "beta", "gamma"]), in: Self.context)
            let fact = try await store.remember(NewMemory(text: "delta", source: "user"), in: Self.context)
            #expect(
                try await store.cachedEmbeddings(for: ["beta", "zeta"], model: Self.model, in: Self.context)
                    == ["beta": MemoryEmbedding(vector: [1, 1, 0], model: Self.model)])
            #expect(try await store.cachedEmbeddings(for: ["beta"], model: "other", in: Self.context).isEmpty)
            #expect(try await store.memoriesWithoutEmbedding(in: Self.context, after: nil, limit: 10).map(\.id) == [fact])

            try await store.resetEmbeddings(in: Self.context)
            #expect(try await store.settings(in: Self.context).embedding == nil)
            var pending: [StoredMemory] = []
            var after: MemoryID?
            while true {
                let page = try await store.memoriesWithoutEmbedding(in: Self.context, after: after, limit: 2)
                if page.isEmpty { break }
                pending += page
                after = page.last?.id
            }
            #expect(Set(pending.map(\.text)) == ["alpha", "beta", "gamma", "delta"])
            var embeddings: [MemoryID: MemoryEmbedding] = [:]
            for memory in pending {
                let vector: [Float] = memory.text == "delta" ? [0, 0, 0, 1, 0] : [1, 0, 0, 0, 0]
                embeddings[memory.id] = MemoryEmbedding(vector: vector, model: "new-model")
            }
            #expect(try await store.setEmbeddings(embeddings, in: Self.context) == 4)
            #expect(try await store.settings(in: Self.context).embedding == MemoryEmbeddingInfo(dimension: 5, model: "new-model"))
            let query = MemoryQuery(
                text: "", embedding: MemoryEmbedding(vector: [0, 0, 0, 1, 0], model: "new-model"), k: 1)
            #expect(try await store.recall(query, in: Self.context).map(\.memory.id) == [fact])
            #expect(try await store.stats(in: Self.context) == MemoryStats(memories: 4, embedded: 4, documents: 1))
        }
    }
}
