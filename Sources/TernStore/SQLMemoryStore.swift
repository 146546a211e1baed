import Foundation
import SQLKit
package import TernCore

/// ``MemoryStore`` on SQLKit for SQLite and PostgreSQL: rows, ingestion and settings share one
/// code path; full text (FTS5 bm25 / `tsvector` + `ts_rank`) and vectors (float32 BLOBs scored
/// with SIMD behind a sign-bit pre-filter / pgvector HNSW) differ per dialect. See
/// docs/memory.md, "Storage".
package struct SQLMemoryStore: MemoryStore {
    /// Where the rows live.
    let database: any DatabaseHandle
    /// Times for `created_at`; never go backwards within the process.
    let clock: MonotonicMicroseconds
    /// New row IDs.
    let makeID: @Sendable () -> String
    /// SQLite only: the sign-bit codes of large contexts.
    let vectorIndex: SQLiteMemoryVectorIndex
    /// SQLite only: how many pre-filter candidates are reranked exactly.
    let rerankCandidates: Int
    /// Settings rows and change epochs kept between recalls (see ``MemoryRecallCache``).
    let recallCache: MemoryRecallCache
    /// The most rows a keyword recall's words may match together (see
    /// ``rankedWords(_:counts:budget:withVectors:)``); `nil` searches every word of the text.
    let keywordRowBudget: Int?
    /// How many memories each searched word matches, kept a while.
    let termCounts: MemoryTermCounts
    /// SQLite only: this store's writes not yet merged into the full-text index.
    let keywordWrites = KeywordIndexWrites()
    /// PostgreSQL only: the size of each dimension's HNSW index (`pg_class.reltuples`), for the
    /// search's breadth, read at most once per ``PostgresMemoryVectors/indexSizeMaxAge``.
    let indexSizes = EpochCache<Int, Int>(epoch: MembershipEpoch(), maxAge: PostgresMemoryVectors.indexSizeMaxAge)

    /// - Parameters:
    ///   - clock: the time source for `created_at`.
    ///   - makeID: new row IDs (random UUIDs unless a test injects its own).
    ///   - vectorCacheBytes: SQLite only: memory for the contexts' vectors held in the process:
    ///     the pre-filter's codes (about 56 bytes per memory at 384 dimensions) and, for contexts
    ///     of at most `heldVectorsPerContext` embedded memories, their float32 vectors and IDs
    ///     (about 1.6 KB per memory at 384 dimensions); 0 scans every vector exactly on each recall.
    ///   - heldVectorsPerContext: SQLite only: the largest context whose float32 vectors are held
    ///     in memory, so its recall reranks without reading them; 0 holds none.
    ///   - rerankCandidates: SQLite only: pre-filter candidates whose float32 vectors are compared
    ///     exactly; a context with no more embedded memories than this is always searched exactly.
    ///   - cacheMaxAge: how long settings and "no vector changed" are trusted (see
    ///     ``MemoryRecallCache``): changes through this store apply at once, changes by another
    ///     process to what vector recall sees within this time; `.zero` checks on every recall.
    ///   - keywordRowBudget: the most rows the words of a hybrid recall's keyword
    ///     search may match together, rarest words first (see
    ///     ``rankedWords(_:counts:budget:withVectors:)``); a keyword-only recall may rank
    ///     ``keywordOnlyBudgetFactor`` times as many. `nil` searches every word of the text,
    ///     whatever it costs.
    package init(
        database: any DatabaseHandle, clock: any WallClock = SystemWallClock(),
        makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() },
        vectorCacheBytes: Int = 128 << 20, heldVectorsPerContext: Int = 16_384, rerankCandidates: Int = 400,
        cacheMaxAge: Duration = MemoryRecallCache.defaultMaxAge, keywordRowBudget: Int? = defaultKeywordRowBudget
    ) {
        self.database = database
        self.clock = MonotonicMicroseconds(clock: clock)
        self.makeID = makeID
        self.recallCache = MemoryRecallCache(maxAge: cacheMaxAge)
        self.vectorIndex = SQLiteMemoryVectorIndex(
            budgetBytes: vectorCacheBytes, heldVectorsPerContext: heldVectorsPerContext, freshness: recallCache)
        self.rerankCandidates = max(1, rerankCandidates)
        self.keywordRowBudget = keywordRowBudget.map { min(max(1, $0), 1_000_000) }
        self.termCounts = MemoryTermCounts()
    }

    /// The default ``keywordRowBudget``: 300 rows beside a vector search (1,200 without one).
    package static let defaultKeywordRowBudget = 300

    /// Runs `body` in a write transaction that changes `context`'s memories or settings, then
    /// tells the recall caches (also when it failed: an extra refresh is harmless) and, on
    /// SQLite, the full-text index's upkeep (``compactKeywordIndex(_:)``).
    func changing<T: Sendable>(_ context: ContextID, _ body: @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    {
        defer { recallCache.changed(context) }
        let result = try await database.transaction(body)
        if database.dialect == .sqlite { keywordWrites.wrote() }
        return result
    }

    package func remember(_ memory: NewMemory, in context: ContextID) async throws -> MemoryID {
        try Self.validate(text: memory.text, source: memory.source)
        try memory.embedding.map(Self.validate)
        let row = NewRow(
            id: makeID(), text: memory.text, source: memory.source, metadata: memory.metadata, documentID: nil,
            chunkIndex: nil, embedding: memory.embedding?.vector)
        let now = clock.next()
        try await mapMemoryErrors {
            try await changing(context) { [self] db in
                if let embedding = memory.embedding { try await checkEmbedding(embedding, in: context, db, record: true) }
                try await insert([row], in: context, at: now, db)
            }
        }
        return MemoryID(row.id)
    }

    package func memory(_ id: MemoryID, in context: ContextID) async throws -> StoredMemory {
        let row = try await mapMemoryErrors {
            try await database.read { db in
                try await db.raw(
                    "SELECT \(unsafeRaw: Self.columns) FROM memories WHERE id = \(bind: id.rawValue) AND context_id = \(bind: context.rawValue)"
                ).first()
            }
        }
        guard let row else { throw StoreError.notFound("memory \(id)") }
        return try Self.decode(row)
    }

    package func forget(_ id: MemoryID, in context: ContextID) async throws {
        try await mapMemoryErrors {
            try await changing(context) { db in
                let deleted = try await db.raw(
                    """
                    DELETE FROM memories WHERE id = \(bind: id.rawValue) AND context_id = \(bind: context.rawValue)
                    RETURNING dimension, document_id
                    """
                ).first()
                guard let deleted else { throw StoreError.notFound("memory \(id)") }
                if let document = try deleted.decode(column: "document_id", as: String?.self) {
                    try await db.raw(
                        "UPDATE memory_documents SET chunk_count = chunk_count - 1 WHERE id = \(bind: document)"
                    ).run()
                }
                if try deleted.decode(column: "dimension", as: Int?.self) != nil {
                    try await Self.bumpGeneration(of: context, db)
                }
            }
        }
    }

    package func list(in context: ContextID, page: MemoryPageRequest) async throws -> MemoryPage {
        guard (1...500).contains(page.limit) else {
            throw StoreError.invalid("limit must be 1…500, got \(page.limit)")
        }
        let rows = try await mapMemoryErrors {
            try await database.read { db in
                var sql: SQLQueryString = """
                    SELECT \(unsafeRaw: Self.columns) FROM memories WHERE context_id = \(bind: context.rawValue)\
                    \(Self.filterSQL(page.filter, table: "memories"))
                    """
                if let cursor = page.cursor {
                    sql += """
                         AND (created_at < \(bind: cursor.createdAt) OR (created_at = \(bind: cursor.createdAt) \
                        AND id < \(bind: cursor.id.rawValue)))
                        """
                }
                sql += " ORDER BY created_at DESC, id DESC LIMIT \(literal: page.limit + 1)"
                return try await db.raw(sql).all()
            }
        }
        let memories = try rows.prefix(page.limit).map(Self.decode)
        let next =
            rows.count > page.limit
            ? memories.last.map { MemoryCursor(createdAt: $0.createdAt.microsecondsSince1970, id: $0.id) } : nil
        return MemoryPage(memories: memories, next: next)
    }
}
