import Testing

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

    /// pgvector rejects `hnsw.ef_search` above 1,000, so deep lists stop there.
    @Test func efSearch_staysWithinPgvectorsMaximum() {
        #expect(PostgresMemoryVectors.efSearch(limit: 200) == 1000)
        #expect(PostgresMemoryVectors.efSearch(limit: 10_000) == 1000)
    }
}
