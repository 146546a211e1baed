import CTernStore
import NIOCore
import SQLKit
import TernCore

extension SQLMemoryStore {
    /// Vector search on SQLite. Without a filter, the context's sign-bit codes
    /// (``SQLiteMemoryVectorIndex``) pick ``rerankCandidates`` rows whose float32 vectors are
    /// then scored exactly, from memory when the index holds the context's vectors, else read by
    /// `seq`; with a filter, or when the codes do not fit their budget, every vector of the
    /// context is scored, read a page at a time.
    func sqliteNearest(_ search: VectorSearch) async throws -> [(id: MemoryID, similarity: Double)] {
        var best = TopList(limit: search.limit)
        if search.filter == MemoryFilter(),
            let snapshot = try await vectorIndex.snapshot(
                of: search.context, generation: search.generation, dimension: search.dimension, database: database)
        {
            let candidates = snapshot.nearestRows(to: search.unitQuery, count: rerankCandidates)
            if let held = snapshot.held {
                Self.score(candidates, of: held, search, into: &best)
                return best.items
            }
            for start in stride(from: 0, to: candidates.count, by: 500) {
                let batch = candidates[start..<min(candidates.count, start + 500)].map { snapshot.seqs[$0] }
                // `+` keeps SQLite on the rowid lookups (without it, it may scan the context's index).
                let rows = try await database.read { db in
                    try await db.raw(
                        """
                        SELECT id, embedding FROM memories WHERE seq IN (\(binds: batch))
                        AND +context_id = \(bind: search.context.rawValue) AND +dimension = \(bind: search.dimension)
                        """
                    ).all()
                }
                try score(rows, search, into: &best)
            }
            return best.items
        }
        var last: Int64 = 0
        while true {
            let after = last
            let rows = try await database.read { db in
                try await db.raw(
                    """
                    SELECT seq, id, embedding FROM memories WHERE context_id = \(bind: search.context.rawValue)
                    AND dimension = \(bind: search.dimension) AND seq > \(bind: after)\
                    \(Self.filterSQL(search.filter, table: "memories"))
                    ORDER BY seq LIMIT \(literal: SQLiteMemoryVectorIndex.pageSize)
                    """
                ).all()
            }
            try score(rows, search, into: &best)
            guard rows.count == SQLiteMemoryVectorIndex.pageSize, let lastRow = rows.last else { return best.items }
            last = try lastRow.decode(column: "seq", as: Int64.self)
        }
    }

    private func score(_ rows: [any SQLRow], _ search: VectorSearch, into best: inout TopList) throws {
        try search.unitQuery.withUnsafeBufferPointer { query in
            for row in rows {
                let buffer = try row.decode(column: "embedding", as: ByteBuffer.self)
                guard buffer.readableBytes == query.count * 4 else {
                    throw StoreError.database("a memory's embedding has the wrong length")
                }
                let similarity = Double(
                    buffer.withUnsafeReadableBytes { MemoryVectorMath.cosine(unitQuery: query, stored: $0) })
                guard similarity >= search.minimumSimilarity, best.accepts(similarity) else { continue }
                best.insert(MemoryID(try row.decode(column: "id", as: String.self)), similarity)
            }
        }
    }
}

extension SQLMemoryStore {
    /// Scores the held vectors of `rows` (indices into `held`) against the query.
    fileprivate static func score(
        _ rows: [Int], of held: SQLiteMemoryVectorIndex.HeldVectors, _ search: VectorSearch, into best: inout TopList
    ) {
        let dimension = search.dimension
        search.unitQuery.withUnsafeBufferPointer { query in
            held.values.withUnsafeBufferPointer { values in
                guard let base = values.baseAddress, query.count == dimension else { return }
                let rows = rows.filter { ($0 + 1) * dimension <= values.count }
                for (index, row) in rows.enumerated() {
                    // The next candidate's vector is fetched while this one is scored: the
                    // candidates are scattered over the held vectors, and the rerank mostly
                    // waited for memory (docs/benchmarks.md, "vector kernels").
                    let next = index + 1 < rows.count ? base + rows[index + 1] * dimension : nil
                    let similarity = Double(tern_dot_prefetching(query.baseAddress, base + row * dimension, dimension, next))
                    guard similarity >= search.minimumSimilarity, best.accepts(similarity) else { continue }
                    best.insert(held.ids[row], similarity)
                }
            }
        }
    }
}

/// The best `limit` (id, similarity) pairs seen so far, best first.
struct TopList {
    let limit: Int
    private(set) var items: [(id: MemoryID, similarity: Double)] = []

    init(limit: Int) { self.limit = limit }

    func accepts(_ similarity: Double) -> Bool { items.count < limit || similarity > items[items.count - 1].similarity }

    mutating func insert(_ id: MemoryID, _ similarity: Double) {
        let index = items.firstIndex { $0.similarity < similarity } ?? items.count
        items.insert((id, similarity), at: index)
        if items.count > limit { items.removeLast() }
    }
}
