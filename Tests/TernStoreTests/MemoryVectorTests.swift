import Foundation
import SQLKit
import Testing
import TernCore
import TernStore

/// The SQLite store's sign-bit pre-filter and its cache, fusion arithmetic, and the migration's
/// message when PostgreSQL has no pgvector.
@Suite(.timeLimit(.minutes(1))) struct MemoryVectorTests {
    static let context = ContextID.defaultContext
    static let model = "test-embedder"

    /// Deterministic pseudo-random vectors (a linear congruential generator; no CPU to speak of).
    static func vectors(count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
        var state = seed
        return (0..<count).map { _ in
            (0..<dimension).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
            }
        }
    }

    static func query(_ vector: [Float], k: Int = 1) -> MemoryQuery {
        MemoryQuery(text: "", embedding: MemoryEmbedding(vector: vector, model: model), k: k)
    }

    /// With only 8 exact comparisons per recall over 300 memories, a stored vector used as the
    /// query is still found first (its code is at distance 0); the cache follows forgets and
    /// additions made through another store on the same file (as another process would; with
    /// no cache age, at once: see MemoryRecallCacheTests for the default's bounded staleness).
    /// Both with the context's vectors held in memory and with them read for the rerank.
    @Test(arguments: [16_384, 0])
    func sqlitePrefilter_findsExactMatches_andFollowsOtherWriters(heldVectors: Int) async throws {
        try await withTemporarySQLite { database in
            let store = SQLMemoryStore(
                database: database, heldVectorsPerContext: heldVectors, rerankCandidates: 8, cacheMaxAge: .zero)
            let other = SQLMemoryStore(database: database)
            let vectors = Self.vectors(count: 301, dimension: 32, seed: 7)
            var ids: [MemoryID] = []
            for (index, vector) in vectors.prefix(300).enumerated() {
                ids.append(
                    try await other.remember(
                        NewMemory(text: "memory \(index)", source: "test", embedding: MemoryEmbedding(vector: vector, model: Self.model)),
                        in: Self.context))
            }
            for index in [0, 150, 299] {
                #expect(try await store.recall(Self.query(vectors[index]), in: Self.context).first?.memory.id == ids[index])
            }
            try await other.forget(ids[150], in: Self.context)
            #expect(try await store.recall(Self.query(vectors[150], k: 5), in: Self.context).allSatisfy { $0.memory.id != ids[150] })
            let added = try await other.remember(
                NewMemory(text: "late", source: "test", embedding: MemoryEmbedding(vector: vectors[300], model: Self.model)),
                in: Self.context)
            #expect(try await store.recall(Self.query(vectors[300]), in: Self.context).first?.memory.id == added)
        }
    }

    /// The pre-filtered answer agrees with scoring every vector when the context is no larger
    /// than the rerank count, and a filtered recall scans exactly.
    @Test func sqlitePrefilter_agreesWithExactSearch() async throws {
        try await withTemporarySQLite { database in
            let prefiltered = SQLMemoryStore(database: database, rerankCandidates: 400)
            let exact = SQLMemoryStore(database: database, vectorCacheBytes: 0)
            for (index, vector) in Self.vectors(count: 200, dimension: 20, seed: 3).enumerated() {
                _ = try await exact.remember(
                    NewMemory(
                        text: "m\(index)", source: index % 2 == 0 ? "even" : "odd",
                        embedding: MemoryEmbedding(vector: vector, model: Self.model)),
                    in: Self.context)
            }
            for query in Self.vectors(count: 5, dimension: 20, seed: 99) {
                let a = try await prefiltered.recall(Self.query(query, k: 10), in: Self.context)
                let b = try await exact.recall(Self.query(query, k: 10), in: Self.context)
                #expect(a.map(\.memory.id) == b.map(\.memory.id))
                var filtered = Self.query(query, k: 10)
                filtered.filter = MemoryFilter(sourcePrefix: "ev")
                #expect(try await prefiltered.recall(filtered, in: Self.context).allSatisfy { $0.memory.source == "even" })
            }
        }
    }

    @Test func fusion_addsReciprocalRanks_andBreaksTiesByBestRank() {
        let fused = MemoryFusion.fuse(
            keyword: ["a", "b", "c"], vector: [(id: "c", similarity: 0.9), (id: "d", similarity: 0.8)], k: 3)
        #expect(fused.map(\.id) == ["c", "a", "b"])
        #expect(fused[0].score == 1 / 63 + 1 / 61 && fused[0].keywordRank == 3 && fused[0].vectorRank == 1)
        #expect(fused[0].similarity == 0.9)
        // "a" (keyword 1) beats "b" (keyword 2) and "d" (vector 2); those two tie, and "b" wins on ID.
        #expect(fused[1].score == 1 / 61 && fused[2].score == 1 / 62 && fused[2].keywordRank == 2)
        let d = MemoryFusion.fuse(keyword: ["a"], vector: [(id: "x", similarity: 0.9), (id: "d", similarity: 0.8)], k: 3)
        #expect(d.map(\.id) == ["a", "x", "d"] && d[2].similarity == 0.8 && d[2].keywordRank == nil)
    }

    /// The migration's message when the server has no pgvector: exercised with an extension no
    /// server has, through the migrator as `tern migrate` reports it.
    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func migration_withoutPgvector_saysWhatToInstall() async throws {
        try await withTemporaryPostgres(migrate: false) { database, _ in
            let missing = Migration(
                version: 14, name: "memory", up: { _ in [Migration.createExtension("tern_no_such_extension")] },
                down: { _ in [] })
            let error = await #expect(throws: StoreError.self) {
                try await Migrator(database: database, migrations: [missing]).migrate()
            }
            let message = error.map { "\($0)" } ?? ""
            #expect(message.contains("migration 14 (memory) failed and was rolled back"))
            #expect(message.contains("pgvector is not installed on this PostgreSQL 16 server; Tern's memory needs it"))
            #expect(message.contains("hint: install pgvector where PostgreSQL runs (Debian/Ubuntu: apt install postgresql-16-pgvector"))
        }
    }
}
