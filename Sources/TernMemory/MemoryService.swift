import Foundation
package import Logging
package import TernCore

/// Memory as every part of Tern uses it (the turn, the `remember`/`recall` tools, the CLI and the
/// admin API): a ``MemoryStore`` plus the embeddings, so callers hand in text and never vectors.
///
/// Without an embedding provider (``embeddings`` `nil`) everything works by keyword alone. When
/// the provider fails, remembering stores the text without a vector and recall falls back to
/// keywords (both logged); `tern memory reembed` adds the missing vectors later.
package struct MemoryService: Sendable {
    /// Where memories live.
    package let store: any MemoryStore
    /// Vectors for text; `nil` when no embedding model is configured.
    package let embeddings: EmbeddingService?
    /// How documents are cut.
    package let chunker: Chunker
    /// Labelled `tern.memory`; never given memory text.
    package let logger: Logger
    /// Preferences as the turns read them.
    package let preferencesCache: PreferencesCache

    /// - Parameters:
    ///   - store: the memory backend.
    ///   - embeddings: `nil` for keyword recall only.
    ///   - chunker: how documents are cut.
    ///   - logger: for failures that do not stop the caller.
    ///   - preferencesMaxAge: how long a context's preferences are trusted once read.
    package init(
        store: any MemoryStore, embeddings: EmbeddingService?, chunker: Chunker = Chunker(),
        logger: Logger = Logger(label: "tern.memory"), preferencesMaxAge: Duration = .seconds(5)
    ) {
        self.preferencesCache = PreferencesCache(maxAge: preferencesMaxAge)
        self.store = store
        self.embeddings = embeddings
        self.chunker = chunker
        self.logger = logger
    }

    /// Stores a fact with its embedding (none if the provider fails; logged).
    package func remember(
        _ text: String, source: String, metadata: JSONValue? = nil, in context: ContextID
    ) async throws -> MemoryID {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw StoreError.invalid("the text to remember is empty") }
        let embedding = await embeddingOrNil(trimmed, in: context, purpose: "remember")
        return try await store.remember(
            NewMemory(text: trimmed, source: source, metadata: metadata, embedding: embedding), in: context)
    }

    /// The best `k` memories for `text`. Uses a vector too when embeddings are configured and
    /// work; when they fail the keyword hits are returned (logged).
    package func recall(
        _ text: String, k: Int, minimumSimilarity: Double? = nil, filter: MemoryFilter = MemoryFilter(),
        in context: ContextID
    ) async throws -> [MemoryHit] {
        guard (1...MemoryQuery.maximumK).contains(k) else {
            throw StoreError.invalid("k must be 1…\(MemoryQuery.maximumK), got \(k)")
        }
        let embedding = await embeddingOrNil(text, in: context, purpose: "recall")
        let query = MemoryQuery(
            text: text, embedding: embedding, k: k, minimumSimilarity: minimumSimilarity, filter: filter)
        do {
            return try await store.recall(query, in: context)
        } catch let error as MemoryError where embedding != nil {
            // The context's vectors come from another model: its keyword side still answers.
            logger.warning(
                "memory recall by vector refused; keyword recall only",
                metadata: ["context": "\(context)", "error": "\(error)"])
            return try await store.recall(
                MemoryQuery(text: text, k: k, minimumSimilarity: minimumSimilarity, filter: filter), in: context)
        }
    }

    /// The embedding of `text`, or `nil` when none is configured or the provider failed (logged).
    func embeddingOrNil(_ text: String, in context: ContextID, purpose: String) async -> MemoryEmbedding? {
        guard let embeddings else { return nil }
        do {
            return MemoryEmbedding(vector: try await embeddings.embed(text), model: embeddings.model)
        } catch is CancellationError {
            return nil
        } catch {
            logger.warning(
                "embedding failed; keyword memory only",
                metadata: ["context": "\(context)", "purpose": "\(purpose)", "error": "\(error)"])
            return nil
        }
    }

    /// What `tern memory status` and the admin API show.
    package struct Status: Sendable, Equatable {
        package var stats: MemoryStats
        package var settings: MemorySettings
        /// The configured embedding model, `nil` when recall is by keyword only.
        package var embeddingModel: String?

        /// A status from its parts.
        package init(stats: MemoryStats, settings: MemorySettings, embeddingModel: String?) {
            self.stats = stats
            self.settings = settings
            self.embeddingModel = embeddingModel
        }

        /// One line about how recall really works in this context: keyword only when no model is
        /// configured, when the stored vectors come from another model, or when no memory has a
        /// vector yet (the embedding server was down when they were stored); otherwise keyword +
        /// vector, saying how many memories have no vector when some have none.
        package var recallMode: String {
            guard let model = embeddingModel else {
                return "keyword only (no embedding model configured: set TERN_EMBEDDING_MODEL for vector recall)"
            }
            if let recorded = settings.embedding, recorded.model != model {
                return "keyword only until `tern memory reembed`: memories were embedded with '\(recorded.model)' "
                    + "(\(recorded.dimension) dimensions), the configured model is '\(model)'"
            }
            if stats.memories > 0, stats.embedded == 0 {
                return "keyword only: none of the \(stats.memories) memories has a vector yet "
                    + "(run `tern memory reembed` to embed them with '\(model)')"
            }
            if stats.embedded < stats.memories {
                return "keyword + vector (\(model)), \(stats.embedded) of \(stats.memories) memories embedded "
                    + "(the others are found by keyword only; `tern memory reembed` embeds them)"
            }
            return "keyword + vector (\(model))"
        }
    }

    /// The context's preferences, from the cache when read within its age.
    package func preferences(in context: ContextID) async throws -> MemoryPreferences {
        if let cached = preferencesCache.preferences(of: context) { return cached }
        let preferences = try await store.settings(in: context).preferences
        preferencesCache.store(preferences, of: context)
        return preferences
    }

    /// Replaces the context's preferences (``MemoryStore/setPreferences(_:in:)``); turns in this
    /// process see them at once.
    @discardableResult
    package func setPreferences(_ preferences: MemoryPreferences, in context: ContextID) async throws -> MemorySettings {
        defer { preferencesCache.remove(context) }
        return try await store.setPreferences(preferences, in: context)
    }

    /// Counts, settings and the recall mode of a context.
    package func status(in context: ContextID) async throws -> Status {
        Status(
            stats: try await store.stats(in: context), settings: try await store.settings(in: context),
            embeddingModel: embeddings?.model)
    }
}
