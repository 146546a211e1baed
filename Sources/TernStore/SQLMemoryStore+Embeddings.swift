import NIOCore
import SQLKit
package import TernCore

extension SQLMemoryStore {
    package func memoriesWithoutEmbedding(in context: ContextID, after: MemoryID?, limit: Int) async throws
        -> [StoredMemory]
    {
        guard (1...1000).contains(limit) else { throw StoreError.invalid("limit must be 1…1000, got \(limit)") }
        return try await mapMemoryErrors {
            try await database.read { db in
                try await db.raw(
                    """
                    SELECT \(unsafeRaw: Self.columns) FROM memories WHERE context_id = \(bind: context.rawValue)
                    AND dimension IS NULL AND id > \(bind: after?.rawValue ?? "") ORDER BY id LIMIT \(literal: limit)
                    """
                ).all().map(Self.decode)
            }
        }
    }

    package func setEmbeddings(_ embeddings: [MemoryID: MemoryEmbedding], in context: ContextID) async throws -> Int {
        guard let common = try Self.commonEmbedding(Array(embeddings.values)) else { return 0 }
        let dialect = database.dialect
        return try await mapMemoryErrors {
            try await changing(context) { [self] db in
                // Record the model and dimension only when one of the IDs is this context's.
                let ids = embeddings.keys.map(\.rawValue).sorted()
                let owned = try await db.raw(
                    """
                    SELECT COUNT(*) AS owned FROM memories
                    WHERE context_id = \(bind: context.rawValue) AND id IN (\(binds: ids))
                    """
                ).first()?.decode(column: "owned", as: Int.self)
                guard let owned, owned > 0 else { return 0 }
                try await checkEmbedding(common, in: context, db, record: true)
                var updated = 0
                for (id, embedding) in embeddings.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    let row = try await db.raw(
                        """
                        UPDATE memories SET embedding = \(Self.embeddingValue(embedding.vector, dialect: dialect)),
                        dimension = \(bind: embedding.dimension)
                        WHERE id = \(bind: id.rawValue) AND context_id = \(bind: context.rawValue) RETURNING id
                        """
                    ).first()
                    if row != nil { updated += 1 }
                }
                // Rows changed in place, not appended: the SQLite pre-filter must reload them.
                try await Self.bumpGeneration(of: context, db)
                return updated
            }
        }
    }

    package func resetEmbeddings(in context: ContextID) async throws {
        try await mapMemoryErrors {
            try await changing(context) { db in
                try await db.raw(
                    """
                    UPDATE memories SET embedding = NULL, dimension = NULL
                    WHERE context_id = \(bind: context.rawValue) AND dimension IS NOT NULL
                    """
                ).run()
                try await db.raw(
                    """
                    UPDATE memory_settings SET embedding_dimension = NULL, embedding_model = NULL,
                    embedding_generation = embedding_generation + 1 WHERE context_id = \(bind: context.rawValue)
                    """
                ).run()
            }
        }
    }

    package func cachedEmbeddings(for texts: [String], model: String, in context: ContextID) async throws
        -> [String: MemoryEmbedding]
    {
        var textByHash: [String: String] = [:]
        for text in texts { textByHash[Self.contentHash(text)] = text }
        guard !textByHash.isEmpty else { return [:] }
        let byHash = textByHash
        let dialect = database.dialect
        return try await mapMemoryErrors {
            try await database.read { db in
                let recorded = try await Self.settingsRow(of: context, db).settings.embedding
                guard let recorded, recorded.model == model else { return [:] }
                let vector = dialect == .postgres ? "embedding::text AS embedding" : "embedding"
                var found: [String: MemoryEmbedding] = [:]
                let hashes = byHash.keys.sorted()
                for start in stride(from: 0, to: hashes.count, by: 500) {
                    let batch = Array(hashes[start..<min(hashes.count, start + 500)])
                    let rows = try await db.raw(
                        """
                        SELECT content_hash, \(unsafeRaw: vector) FROM memories
                        WHERE context_id = \(bind: context.rawValue) AND dimension = \(bind: recorded.dimension)
                        AND content_hash IN (\(binds: batch))
                        """
                    ).all()
                    for row in rows {
                        let hash = try row.decode(column: "content_hash", as: String.self)
                        guard let text = byHash[hash], found[text] == nil else { continue }
                        let vector = try Self.decodeEmbedding(row, dialect: dialect)
                        found[text] = MemoryEmbedding(vector: vector, model: model)
                    }
                }
                return found
            }
        }
    }

    /// The `embedding` column of `row` as floats.
    static func decodeEmbedding(_ row: any SQLRow, dialect: SQLDialectKind) throws -> [Float] {
        switch dialect {
        case .sqlite:
            let buffer = try row.decode(column: "embedding", as: ByteBuffer.self)
            return try buffer.withUnsafeReadableBytes(MemoryVectorMath.decode).unwrap("memories.embedding is not float32")
        case .postgres:
            return try PostgresMemoryVectors.parse(try row.decode(column: "embedding", as: String.self))
        }
    }
}
