import SQLKit
package import TernCore

extension SQLMemoryStore {
    package func recall(_ query: MemoryQuery, in context: ContextID) async throws -> [MemoryHit] {
        guard (1...MemoryQuery.maximumK).contains(query.k) else {
            throw StoreError.invalid("k must be 1…\(MemoryQuery.maximumK), got \(query.k)")
        }
        if let minimum = query.minimumSimilarity, !(-1...1).contains(minimum) {
            throw StoreError.invalid("minimum similarity must be between -1 and 1, got \(minimum)")
        }
        try query.embedding.map(Self.validate)
        // Each list goes deeper than k so that fusion has something to agree on.
        let depth = min(max(query.k * 4, 40), 200)
        return try await mapMemoryErrors {
            // Cached (see MemoryRecallCache): a turn's recall reads only keyword matches and hits.
            let stored = try await recallCache.settings(of: context) {
                try await database.read { db in try await Self.withUnembedded(of: context, db) }
            }
            // The keyword statement runs on SQLite's (or PostgreSQL's) side while the vectors are
            // scored here: a turn waits for the slower of the two, not for both in turn.
            // Common words are left to the vector side only when it sees every memory.
            let withVectors = query.embedding != nil && stored.settings.embedding != nil && !stored.hasUnembedded
            async let keywordList = keywordMatches(
                query.text, filter: query.filter, limit: depth, withVectors: withVectors, in: context)
            var vector: [(id: MemoryID, similarity: Double)] = []
            if let embedding = query.embedding, let recorded = stored.settings.embedding {
                try Self.check(embedding, against: recorded)
                let search = VectorSearch(
                    context: context, unitQuery: MemoryVectorMath.normalized(embedding.vector), filter: query.filter,
                    limit: depth, minimumSimilarity: query.minimumSimilarity ?? -1, generation: stored.generation)
                vector =
                    switch database.dialect {
                    case .sqlite: try await sqliteNearest(search)
                    case .postgres: try await postgresNearest(search)
                    }
            }
            let keyword = try await keywordList
            let fused = MemoryFusion.fuse(keyword: keyword, vector: vector, k: query.k)
            guard !fused.isEmpty else { return [] }
            // By ID alone: with `context_id = ?` in the WHERE, SQLite (no statistics) scans the
            // context's index instead of looking the IDs up (1.7 s at 100k rows). The IDs come
            // from this context's lists; the context is still checked on every row.
            let rows = try await database.read { db in
                try await db.raw(
                    """
                    SELECT context_id, \(unsafeRaw: Self.columns) FROM memories
                    WHERE id IN (\(binds: fused.map(\.id.rawValue)))
                    """
                ).all()
            }
            var byID: [MemoryID: StoredMemory] = [:]
            for row in rows where try row.decode(column: "context_id", as: String.self) == context.rawValue {
                let memory = try Self.decode(row)
                byID[memory.id] = memory
            }
            // A memory forgotten between the lists and this read is left out.
            return fused.compactMap { candidate in
                byID[candidate.id].map {
                    MemoryHit(
                        memory: $0, score: candidate.score, keywordRank: candidate.keywordRank,
                        vectorRank: candidate.vectorRank, similarity: candidate.similarity)
                }
            }
        }
    }

    /// One vector search: the `limit` memories of `context` most similar to `unitQuery` (length
    /// 1), at least `minimumSimilarity`, best first.
    struct VectorSearch: Sendable {
        var context: ContextID
        var unitQuery: [Float]
        var filter: MemoryFilter
        var limit: Int
        var minimumSimilarity: Double
        /// The context's `embedding_generation` as read with the settings.
        var generation: Int64
        var dimension: Int { unitQuery.count }
    }
}
