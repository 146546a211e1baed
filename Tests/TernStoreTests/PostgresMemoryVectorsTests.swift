import Foundation
import Testing
import TernCore
import TernTesting

@testable import TernStore

/// The HNSW search breadth the PostgreSQL memory store asks pgvector for.
@Suite struct PostgresMemoryVectorsTests {
    /// Recall's usual vector list (40 rows for k = 10) searches 200 candidates: with 80 (twice the
    /// rows, the old rule) recall@10 was 0.83 at 1M memories, with 200 it was 0.97.
    @Test func efSearch_isFiveTimesTheRowsAndAtLeast200() {
        #expect(PostgresMemoryVectors.efSearch(limit: 40) == 200)
        #expect(PostgresMemoryVectors.efSearch(limit: 1) == 200)
        #expect(PostgresMemoryVectors.efSearch(limit: 120) == 600)
    }

    /// An index of up to 200,000 rows is searched with twice the rows, at least 80 (the exact
    /// top 10 at 10,000 and 100,000, a third of the time); an unknown size gets the wide rule.
    @Test func efSearch_ofASmallIndex_isTwiceTheRowsAndAtLeast80() {
        #expect(PostgresMemoryVectors.efSearch(limit: 40, indexRows: 10_000) == 80)
        #expect(PostgresMemoryVectors.efSearch(limit: 40, indexRows: 0) == 80)
        #expect(PostgresMemoryVectors.efSearch(limit: 100, indexRows: 200_000) == 200)
        #expect(PostgresMemoryVectors.efSearch(limit: 40, indexRows: 200_001) == 200)
        #expect(PostgresMemoryVectors.efSearch(limit: 40, indexRows: nil) == 200)
        #expect(PostgresMemoryVectors.efSearch(limit: 40, indexRows: -1) == 200)
        #expect(PostgresMemoryVectors.efSearch(limit: 900, indexRows: 10) == 1000)
    }

    /// pgvector rejects `hnsw.ef_search` above 1,000, so deep lists stop there.
    @Test func efSearch_staysWithinPgvectorsMaximum() {
        #expect(PostgresMemoryVectors.efSearch(limit: 200) == 1000)
        #expect(PostgresMemoryVectors.efSearch(limit: 10_000) == 1000)
    }
}

/// The vector search's statements on PostgreSQL: the breadth set for the leased connection's
/// session, then the search, with no transaction around them (two round trips fewer), and the
/// answer the same as with `SET LOCAL` in one.
@Suite(.timeLimit(.minutes(1))) struct PostgresVectorSearchStatementsTests {
    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func vectorSearch_setsTheBreadth_withoutATransaction() async throws {
        try await withTemporaryPostgres { _, url in
            let log = SQLStatementLog()
            let database = try await PostgresDatabase.open(url: url, logger: log.logger(), maximumConnections: 2)
            do {
                let store = SQLMemoryStore(database: database)
                var vectors: [[Float]] = []
                for index in 0..<12 {
                    var vector = [Float](repeating: 0.01, count: 8)
                    vector[index % 8] = 1
                    vector[(index + 3) % 8] = Float(index) / 12
                    vectors.append(vector)
                    let embedding = MemoryEmbedding(vector: vector, model: "m")
                    _ = try await store.remember(
                        NewMemory(text: "fact \(index)", source: "f\(index)", embedding: embedding), in: .defaultContext)
                }
                _ = log.drain()
                let query = MemoryQuery(text: "", embedding: MemoryEmbedding(vector: vectors[5], model: "m"), k: 3)
                let hits = try await store.recall(query, in: .defaultContext)
                #expect(hits.first?.memory.source == "f5")
                let statements = log.drain().map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                // A dozen memories: the small index's breadth first; the dozen are fewer than the
                // 40 rows asked, so the wide breadth is tried before the exact scan.
                let breadths = statements.filter { $0.hasPrefix("SET hnsw.ef_search") }
                #expect(breadths == ["SET hnsw.ef_search = 80", "SET hnsw.ef_search = 200"], "\(statements)")
                #expect(!statements.contains { ["BEGIN", "COMMIT"].contains($0) }, "\(statements)")
                // A filtered search starts wide (the filter applies after the index scan).
                var filtered = query
                filtered.filter = MemoryFilter(sourcePrefix: "f1")
                _ = try await store.recall(filtered, in: .defaultContext)
                #expect(log.drain().filter { $0.hasPrefix("SET hnsw.ef_search") } == ["SET hnsw.ef_search = 200"])
            } catch {
                try await database.close()
                throw error
            }
            try await database.close()
        }
    }
}
