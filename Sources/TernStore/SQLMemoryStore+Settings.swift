import Foundation
import SQLKit
package import TernCore

extension SQLMemoryStore {
    /// `memory_settings` as stored, with the vector cache's generation.
    struct SettingsRow: Sendable {
        var settings: MemorySettings
        var generation: Int64
        /// Whether some memory of the context has no vector. Read for recall only
        /// (``withUnembedded(of:_:)``); `true`, the safe answer, otherwise.
        var hasUnembedded = true
    }

    /// The context's settings row with ``SettingsRow/hasUnembedded`` read (from the partial index
    /// `memories_unembedded_idx`, migration 17).
    static func withUnembedded(of context: ContextID, _ db: any SQLDatabase) async throws -> SettingsRow {
        var row = try await settingsRow(of: context, db)
        row.hasUnembedded =
            try await db.raw(
                """
                SELECT CASE WHEN EXISTS (SELECT 1 FROM memories WHERE context_id = \(bind: context.rawValue)
                AND dimension IS NULL) THEN 1 ELSE 0 END AS unembedded
                """
            ).first()?.decode(column: "unembedded", as: Int.self) != 0
        return row
    }

    package func settings(in context: ContextID) async throws -> MemorySettings {
        try await mapMemoryErrors { try await database.read { db in try await Self.settingsRow(of: context, db).settings } }
    }

    package func setPreferences(_ preferences: MemoryPreferences, in context: ContextID) async throws
        -> MemorySettings
    {
        let problems = preferences.problems
        if !problems.isEmpty { throw StoreError.invalid(problems.joined(separator: "; ")) }
        let now = clock.next()
        return try await mapMemoryErrors {
            try await changing(context) { db in
                try await Self.ensureSettings(of: context, at: now, db)
                try await db.raw(
                    """
                    UPDATE memory_settings SET enabled = \(bind: preferences.enabled ? 1 : 0), k = \(bind: preferences.k),
                    minimum_score = \(bind: preferences.minimumScore),
                    summarize_turns = \(bind: preferences.summarizeTurns ? 1 : 0), updated_at = \(bind: now)
                    WHERE context_id = \(bind: context.rawValue)
                    """
                ).run()
                return try await Self.settingsRow(of: context, db).settings
            }
        }
    }

    package func stats(in context: ContextID) async throws -> MemoryStats {
        try await mapMemoryErrors {
            try await database.read { db in
                let row = try await db.raw(
                    """
                    SELECT (SELECT COUNT(*) FROM memories WHERE context_id = \(bind: context.rawValue)) AS memories,
                    (SELECT COUNT(*) FROM memories WHERE context_id = \(bind: context.rawValue) AND dimension IS NOT NULL)
                    AS embedded,
                    (SELECT COUNT(*) FROM memory_documents WHERE context_id = \(bind: context.rawValue)) AS documents
                    """
                ).first()
                guard let row else { throw StoreError.database("memory counts returned no row") }
                return MemoryStats(
                    memories: try row.decode(column: "memories", as: Int.self),
                    embedded: try row.decode(column: "embedded", as: Int.self),
                    documents: try row.decode(column: "documents", as: Int.self))
            }
        }
    }

    /// The context's settings row, or the defaults when it has none.
    static func settingsRow(of context: ContextID, _ db: any SQLDatabase, lock: Bool = false) async throws
        -> SettingsRow
    {
        let row = try await db.raw(
            """
            SELECT enabled, k, minimum_score, summarize_turns, embedding_dimension, embedding_model,
            embedding_generation FROM memory_settings WHERE context_id = \(bind: context.rawValue)\
            \(unsafeRaw: lock ? " FOR UPDATE" : "")
            """
        ).first()
        guard let row else { return SettingsRow(settings: MemorySettings(), generation: 0) }
        let preferences = MemoryPreferences(
            enabled: try row.decode(column: "enabled", as: Int.self) != 0, k: try row.decode(column: "k", as: Int.self),
            minimumScore: try row.decode(column: "minimum_score", as: Double.self),
            summarizeTurns: try row.decode(column: "summarize_turns", as: Int.self) != 0)
        var embedding: MemoryEmbeddingInfo?
        if let dimension = try row.decode(column: "embedding_dimension", as: Int?.self),
            let model = try row.decode(column: "embedding_model", as: String?.self)
        {
            embedding = MemoryEmbeddingInfo(dimension: dimension, model: model)
        }
        return SettingsRow(
            settings: MemorySettings(preferences: preferences, embedding: embedding),
            generation: try row.decode(column: "embedding_generation", as: Int64.self))
    }

    /// Inserts the context's settings row with the defaults unless it exists.
    static func ensureSettings(of context: ContextID, at time: Int64, _ db: any SQLDatabase) async throws {
        let defaults = MemoryPreferences.defaults
        try await db.raw(
            """
            INSERT INTO memory_settings (context_id, enabled, k, minimum_score, summarize_turns, updated_at)
            VALUES (\(bind: context.rawValue), \(bind: defaults.enabled ? 1 : 0), \(bind: defaults.k),
            \(bind: defaults.minimumScore), \(bind: defaults.summarizeTurns ? 1 : 0), \(bind: time))
            ON CONFLICT (context_id) DO NOTHING
            """
        ).run()
    }

    /// Inside a transaction: throws ``MemoryError`` unless `embedding` matches the context's
    /// recorded model and dimension; with `record`, records them when none are (and on
    /// PostgreSQL makes sure the dimension has its HNSW index).
    func checkEmbedding(_ embedding: MemoryEmbedding, in context: ContextID, _ db: any SQLDatabase, record: Bool)
        async throws
    {
        try await Self.ensureSettings(of: context, at: clock.next(), db)
        let recorded = try await Self.settingsRow(of: context, db, lock: database.dialect == .postgres).settings.embedding
        if let recorded {
            try Self.check(embedding, against: recorded)
            return
        }
        guard record else { return }
        try await db.raw(
            """
            UPDATE memory_settings SET embedding_dimension = \(bind: embedding.dimension),
            embedding_model = \(bind: embedding.model) WHERE context_id = \(bind: context.rawValue)
            """
        ).run()
        if database.dialect == .postgres {
            try await PostgresMemoryVectors.ensureIndex(dimension: embedding.dimension, for: context, db)
        }
    }

    /// Throws ``MemoryError`` unless `embedding` has the recorded dimension and model.
    static func check(_ embedding: MemoryEmbedding, against recorded: MemoryEmbeddingInfo) throws {
        if embedding.dimension != recorded.dimension {
            throw MemoryError.dimensionMismatch(recorded: recorded.dimension, given: embedding.dimension)
        }
        if embedding.model != recorded.model {
            throw MemoryError.modelMismatch(recorded: recorded.model, given: embedding.model)
        }
    }

    /// Checks that `embeddings` all have one model and dimension and are valid; returns one of them.
    static func commonEmbedding(_ embeddings: [MemoryEmbedding]) throws -> MemoryEmbedding? {
        guard let first = embeddings.first else { return nil }
        for embedding in embeddings {
            try validate(embedding)
            if embedding.dimension != first.dimension {
                throw StoreError.invalid(
                    "embeddings of one call must have one dimension, got \(first.dimension) and \(embedding.dimension)")
            }
            if embedding.model != first.model {
                throw StoreError.invalid(
                    "embeddings of one call must come from one model, got '\(first.model)' and '\(embedding.model)'")
            }
        }
        return first
    }
}
