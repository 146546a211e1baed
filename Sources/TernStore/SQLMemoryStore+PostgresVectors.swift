import SQLKit
import TernCore

/// pgvector specifics of the memory store.
///
/// `memories.embedding` is an untyped `vector` so contexts may use models of different
/// dimensions. An HNSW index needs one dimension, so there is one partial expression index per
/// dimension in use, `memories_embedding_hnsw_<N>` on `((embedding::vector(N))
/// vector_cosine_ops) WHERE dimension = N`, made (under a transaction-level advisory lock, so
/// two contexts recording the same new dimension do not race) in the transaction in which the
/// first context to use the dimension records its first embedding; dropped and rebuilt around
/// bulk loads (`SQLMemoryStore.buildVectorIndexes`). pgvector 0.6 indexes up to 2,000 dimensions; larger ones are
/// searched exactly. Queries name `dimension = N` and the cast literally so the planner can use
/// the index.
enum PostgresMemoryVectors {
    /// The largest dimension pgvector's HNSW indexes (`vector`).
    static let maximumIndexedDimension = 2000
    /// The key of the advisory lock taken while creating an index ("ternmemi").
    static let indexLockKey: Int64 = 0x7465_726E_6D65_6D69

    /// `vector` as pgvector's text form, `[1,2.5,…]`.
    static func literal(_ vector: [Float]) -> String {
        "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
    }

    /// Parses pgvector's text form.
    static func parse(_ text: String) throws -> [Float] {
        guard text.hasPrefix("["), text.hasSuffix("]") else {
            throw StoreError.database("memories.embedding is not a pgvector value")
        }
        return try text.dropFirst().dropLast().split(separator: ",").map {
            try Float(String($0)).unwrap("memories.embedding has a component that is not a number")
        }
    }

    /// Creates the HNSW index for `dimension` unless it exists, when `context` is the first to
    /// record that dimension: the index is then built over no rows, at once. When other contexts
    /// already record it and the index is missing, it was dropped for a bulk load (`tern memory
    /// ingest --defer-index`) or such a load was killed; building it here, inside a turn's or an
    /// ingest's transaction and over all their rows, would hold up every write to `memories` for
    /// as long as it takes, so it is left to that load's end or `tern memory index --rebuild`.
    static func ensureIndex(dimension: Int, for context: ContextID, _ db: any SQLDatabase) async throws {
        guard dimension <= maximumIndexedDimension else { return }
        try await db.raw("SELECT pg_advisory_xact_lock(\(bind: indexLockKey))").run()
        let others = try await db.raw(
            """
            SELECT 1 AS found FROM memory_settings
            WHERE embedding_dimension = \(bind: dimension) AND context_id <> \(bind: context.rawValue) LIMIT 1
            """
        ).first()
        guard others == nil else { return }
        try await db.raw(
            """
            CREATE INDEX IF NOT EXISTS memories_embedding_hnsw_\(unsafeRaw: String(dimension)) ON memories
            USING hnsw ((embedding::vector(\(literal: dimension))) vector_cosine_ops) WHERE dimension = \(literal: dimension)
            """
        ).run()
    }

    /// `hnsw.ef_search` for a search of `limit` rows in an index of about `indexRows` rows: five
    /// times the rows wanted, at least 200, at most 1,000 (pgvector's maximum). At 1M memories
    /// (384 dimensions, the index's default `m` 16 and `ef_construction` 64) twice the rows (80
    /// for recall's usual 40) found 0.83 of the exact top 10 and 200 found 0.97
    /// (docs/benchmarks.md, "Issue 18: memory recall"). An index of at most
    /// ``smallIndexRows`` rows gets twice the rows, at least 80: that found the exact top 10 at
    /// 10,000 and 100,000, and costs a third of the time (0.78 against 2.35 ms at 10,000).
    static func efSearch(limit: Int, indexRows: Int? = nil) -> Int {
        // -1: never counted (unknown).
        if let indexRows, (0...smallIndexRows).contains(indexRows) { return min(1000, max(80, limit * 2)) }
        return min(1000, max(200, limit * 5))
    }

    /// The largest index searched with the narrower breadth.
    static let smallIndexRows = 200_000

    /// How long an index's size (`pg_class.reltuples`, kept by `ANALYZE`, `VACUUM` and the
    /// build) is trusted before it is read again.
    static let indexSizeMaxAge: Duration = .seconds(60)
}

extension SQLMemoryStore {
    /// Vector search on PostgreSQL: through the dimension's HNSW index (pgvector 0.6 filters the
    /// context after the index scan, so a context that is a small part of the table may get
    /// fewer rows than asked), then, when fewer than `limit` came back, exactly over the
    /// context's rows (without the index), so a small context is never starved.
    func postgresNearest(_ search: VectorSearch) async throws -> [(id: MemoryID, similarity: Double)] {
        let literal = PostgresMemoryVectors.literal(search.unitQuery)
        let dimension = search.dimension
        let filter = Self.filterSQL(search.filter, table: "memories")
        // One leased connection, no transaction: `SET` for the session, not `SET LOCAL` in a
        // transaction (`BEGIN` and `COMMIT` were two of the search's four round trips). The
        // pooled connection keeps the setting; only this search reads it (other statements use
        // no HNSW index), and each search sets its own first.
        let indexSizes = self.indexSizes
        let rows = try await database.read { db in
            // Only sizes found are kept (a missing index is asked again: the search is exact then).
            let indexRows = try await indexSizes.value(for: dimension) {
                try await db.raw(
                    """
                    SELECT reltuples::bigint AS n FROM pg_class WHERE relname = \(bind: Self.indexName(dimension))
                    AND relkind = 'i' AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
                    """
                ).first()?.decode(column: "n", as: Int.self)
            }
            // pgvector filters the context after the index scan, which returns at most the
            // breadth's rows: a filter, or a context that is a small share of the index, may get
            // fewer than asked. The narrow breadth is tried only without a filter, and a short
            // answer is searched again with the wide one before the exact scan.
            let wide = PostgresMemoryVectors.efSearch(limit: search.limit)
            let first =
                search.filter == MemoryFilter()
                ? PostgresMemoryVectors.efSearch(limit: search.limit, indexRows: indexRows) : wide
            for breadth in first < wide ? [first, wide] : [wide] {
                try await db.raw("SET hnsw.ef_search = \(literal: breadth)").run()
                let indexed = try await db.raw(
                    """
                    SELECT id, 1 - (embedding::vector(\(literal: dimension)) <=> \(bind: literal)::vector(\(literal: dimension)))
                    AS similarity FROM memories
                    WHERE context_id = \(bind: search.context.rawValue) AND dimension = \(literal: dimension)\(filter)
                    ORDER BY embedding::vector(\(literal: dimension)) <=> \(bind: literal)::vector(\(literal: dimension))
                    LIMIT \(literal: search.limit)
                    """
                ).all()
                if indexed.count == search.limit { return indexed }
            }
            return try await db.raw(
                """
                SELECT id, 1 - (embedding <=> \(bind: literal)::vector) AS similarity FROM memories
                WHERE context_id = \(bind: search.context.rawValue) AND dimension = \(literal: dimension)\(filter)
                ORDER BY embedding <=> \(bind: literal)::vector LIMIT \(literal: search.limit)
                """
            ).all()
        }
        return try rows.compactMap { row in
            let similarity = try row.decode(column: "similarity", as: Double.self)
            guard similarity >= search.minimumSimilarity else { return nil }
            return (MemoryID(try row.decode(column: "id", as: String.self)), similarity)
        }
    }
}
