import Foundation
import SQLKit
import Testing
import TernCore

@testable import TernStore

/// PostgreSQL's per-dimension HNSW indexes of memory, as `tern memory index` and `tern memory
/// ingest --defer-index` see and rebuild them; SQLite keeps none.
@Suite(.timeLimit(.minutes(1))) struct MemoryVectorIndexTests {
    static func remember(
        _ store: SQLMemoryStore, _ count: Int, in context: ContextID = .defaultContext, dimension: Int = 8
    ) async throws {
        for index in 0..<count {
            var vector = [Float](repeating: 0, count: dimension)
            vector[index % dimension] = 1
            vector[(index + 3) % dimension] = Float(index) / Float(count)
            _ = try await store.remember(
                NewMemory(
                    text: "note \(index)", source: "user",
                    embedding: MemoryEmbedding(vector: vector, model: "test-embedder")),
                in: context)
        }
    }

    /// The nearest memories of a fixed query, by vector only.
    static func nearest(_ store: SQLMemoryStore) async throws -> [MemoryID] {
        let query = MemoryQuery(
            text: "", embedding: MemoryEmbedding(vector: [1, 0.5, 0, 0, 0, 0, 0, 0.25], model: "test-embedder"), k: 5)
        return try await store.recall(query, in: .defaultContext).map(\.memory.id)
    }

    static func definition(_ name: String, _ database: any DatabaseHandle) async throws -> String? {
        try await database.read { db in
            try await db.raw("SELECT indexdef FROM pg_indexes WHERE indexname = \(bind: name)").first()
        }?.decode(column: "indexdef", as: String.self)
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable)) func postgres_dropAndRebuild_recallAnswersTheSameThroughout() async throws {
        try await SQLBackend.postgres.withStore({ SQLMemoryStore(database: $0) }) { store, database in
            try await Self.remember(store, 24)
            try await Self.remember(store, 3, in: SQLBackend.contextB)
            let indexes = try await store.vectorIndexes()
            #expect(indexes.map(\.dimension) == [8])
            #expect(indexes.first?.state == .ready && indexes.first?.contexts == 2)
            #expect(indexes.first?.name == "memories_embedding_hnsw_8" && (indexes.first?.bytes ?? 0) > 0)
            let expected = try await Self.nearest(store)
            #expect(expected.count == 5)

            try await store.dropVectorIndex(dimension: 8)
            #expect(try await store.vectorIndexes().map(\.state) == [.missing])
            #expect(try await Self.definition("memories_embedding_hnsw_8", database) == nil)
            #expect(try await Self.nearest(store) == expected, "exact search while the index is missing")
            try await Self.remember(store, 4)  // writes go on without it
            let exact = try await Self.nearest(store)

            let built = try await store.buildVectorIndexes(maintenanceMemory: "64MB")
            #expect(built.map(\.state) == [.ready])
            let definition = try #require(try await Self.definition("memories_embedding_hnsw_8", database))
            #expect(definition.contains("USING hnsw") && definition.contains("WHERE (dimension = 8)"))
            #expect(try await Self.nearest(store) == exact, "the rebuilt index covers the rows written without it")
            // Building again finds nothing to build.
            #expect(try await store.buildVectorIndexes().map(\.state) == [.ready])
        }
    }

    /// While a bulk load has the index dropped, a context recording the same dimension for the
    /// first time must not build it inside its own transaction (over every row, holding up every
    /// write to `memories`); the first context to record a dimension still gets its index at once.
    @Test(.enabled(if: PostgresTestServer.isAvailable)) func postgres_droppedIndex_isNotBuiltByAnotherContextsFirstEmbedding() async throws
    {
        try await SQLBackend.postgres.withStore({ SQLMemoryStore(database: $0) }) { store, _ in
            try await Self.remember(store, 4)
            #expect(try await store.vectorIndexes().map(\.state) == [.ready], "the first context to record 8 built it")
            try await store.dropVectorIndex(dimension: 8)
            try await Self.remember(store, 2, in: SQLBackend.contextB)
            let indexes = try await store.vectorIndexes()
            #expect(indexes.map(\.state) == [.missing] && indexes.first?.contexts == 2)
            #expect(try await store.buildVectorIndexes().map(\.state) == [.ready])
        }
    }

    /// A `CREATE INDEX CONCURRENTLY` that failed leaves an invalid index PostgreSQL maintains but
    /// never reads; the rebuild drops it and builds the real one.
    @Test(.enabled(if: PostgresTestServer.isAvailable)) func postgres_invalidIndex_isReportedAndReplaced() async throws {
        try await SQLBackend.postgres.withStore({ SQLMemoryStore(database: $0) }) { store, database in
            try await Self.remember(store, 4)
            try await store.dropVectorIndex(dimension: 8)
            // Unique on a column the rows share: the build fails and leaves the index invalid.
            await #expect(throws: (any Error).self) {
                try await database.write { db in
                    try await db.raw(
                        "CREATE UNIQUE INDEX CONCURRENTLY memories_embedding_hnsw_8 ON memories (context_id) WHERE dimension = 8"
                    ).run()
                }
            }
            #expect(try await store.vectorIndexes().map(\.state) == [.invalid])
            #expect(try await store.buildVectorIndexes().map(\.state) == [.ready])
            let definition = try #require(try await Self.definition("memories_embedding_hnsw_8", database))
            #expect(definition.contains("USING hnsw") && !definition.contains("UNIQUE"))
        }
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func postgres_badMaintenanceMemory_isRefusedBeforeAnythingChanges() async throws {
        try await SQLBackend.postgres.withStore({ SQLMemoryStore(database: $0) }) { store, _ in
            try await Self.remember(store, 2)
            try await store.dropVectorIndex(dimension: 8)
            for size in ["2GB; DROP TABLE memories", "1", "4TB"] {
                await #expect(
                    throws: StoreError.invalid("maintenance memory '\(size)' is not a size from 1MB to 2TB such as 512MB or 2GB")
                ) {
                    try await store.buildVectorIndexes(maintenanceMemory: size)
                }
            }
            #expect(try await store.vectorIndexes().map(\.state) == [.missing])
        }
    }

    /// Only the dimensions asked for are built (a `--defer-index` load builds its own, not the one
    /// another load dropped); a build while another holds the build lock is refused, not queued.
    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func postgres_buildsOnlyTheGivenDimensions_andOneBuildAtATime() async throws {
        try await SQLBackend.postgres.withStore({ SQLMemoryStore(database: $0) }) { store, database in
            try await Self.remember(store, 3)
            try await Self.remember(store, 3, in: SQLBackend.contextB, dimension: 4)
            try await store.dropVectorIndex(dimension: 8)
            try await store.dropVectorIndex(dimension: 4)
            let built = try await store.buildVectorIndexes(dimensions: [8])
            #expect(built.map(\.dimension) == [4, 8] && built.map(\.state) == [.missing, .ready])
            try await database.withSession { session in
                try await session.write { db in
                    try await db.raw("SELECT pg_advisory_lock(\(bind: SQLMemoryStore.buildLockKey))").run()
                }
                await #expect(throws: StoreError.self) { try await store.buildVectorIndexes() }
                try await session.write { db in
                    try await db.raw("SELECT pg_advisory_unlock(\(bind: SQLMemoryStore.buildLockKey))").run()
                }
            }
            #expect(try await store.vectorIndexes().map(\.state) == [.missing, .ready])
            #expect(try await store.buildVectorIndexes().map(\.state) == [.ready, .ready])
        }
    }

    @Test func sqlite_keepsNoVectorIndex() async throws {
        try await SQLBackend.sqlite.withStore({ SQLMemoryStore(database: $0) }) { store, _ in
            try await Self.remember(store, 2)
            #expect(try await store.vectorIndexes().isEmpty)
            try await store.dropVectorIndex(dimension: 8)
            #expect(try await store.buildVectorIndexes().isEmpty)
        }
    }

    @Test func postgresSizes() {
        #expect(SQLMemoryStore.postgresKilobytes("64MB") == 65536)
        #expect(SQLMemoryStore.postgresKilobytes("2GB") == Int64(2_097_152))
        #expect(SQLMemoryStore.postgresKilobytes("1TB") == Int64(1_073_741_824))
        #expect(SQLMemoryStore.postgresKilobytes("512kB") == 512 && SQLMemoryStore.postgresKilobytes("65536") == 65536)
        for size in ["", "GB", "2 GB", "2gb", "-1GB", "2GB'", "1234567890123MB", "999999999999TB"] {
            #expect(SQLMemoryStore.postgresKilobytes(size) == nil, "\(size)")
        }
        #expect(!SQLMemoryStore.maintenanceMemoryRange.contains(SQLMemoryStore.postgresKilobytes("2TB")!))
        #expect(SQLMemoryStore.maintenanceMemoryRange.contains(SQLMemoryStore.postgresKilobytes("1MB")!))
    }
}
