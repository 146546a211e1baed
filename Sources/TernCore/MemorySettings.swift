/// What a context's owner chooses about memory.
package struct MemoryPreferences: Sendable, Equatable, Codable {
    /// Whether each turn recalls memories for the user's message.
    package var enabled: Bool
    /// How many memories a turn recalls at most.
    package var k: Int
    /// The cosine similarity below which vector hits are not given to the model (keyword hits
    /// always are), 0…1.
    package var minimumScore: Double
    /// Whether a short summary of each turn is remembered (a model call off the turn's path).
    package var summarizeTurns: Bool

    package init(enabled: Bool = true, k: Int = 5, minimumScore: Double = 0.3, summarizeTurns: Bool = false) {
        self.enabled = enabled
        self.k = k
        self.minimumScore = minimumScore
        self.summarizeTurns = summarizeTurns
    }

    /// What a context has until its owner changes it.
    package static let defaults = MemoryPreferences()

    /// Problems with these values, each naming the field (empty when valid).
    package var problems: [String] {
        var problems: [String] = []
        if !(1...MemoryQuery.maximumK).contains(k) { problems.append("k must be 1…\(MemoryQuery.maximumK), got \(k)") }
        if !(0...1).contains(minimumScore) {
            problems.append("minimum_score must be between 0 and 1, got \(minimumScore)")
        }
        return problems
    }
}

/// The embedding model and dimension a context's stored vectors have, recorded by the store
/// with the first embedding it stores and cleared by ``MemoryStore/resetEmbeddings(in:)``.
package struct MemoryEmbeddingInfo: Sendable, Equatable, Codable {
    package var dimension: Int
    package var model: String

    package init(dimension: Int, model: String) {
        self.dimension = dimension
        self.model = model
    }
}

/// A context's memory settings: the preferences and the recorded embedding.
package struct MemorySettings: Sendable, Equatable {
    package var preferences: MemoryPreferences
    /// `nil` until the first embedding is stored (or after a reset).
    package var embedding: MemoryEmbeddingInfo?

    package init(preferences: MemoryPreferences = .defaults, embedding: MemoryEmbeddingInfo? = nil) {
        self.preferences = preferences
        self.embedding = embedding
    }
}

/// Counts for `tern memory status` and the admin API.
package struct MemoryStats: Sendable, Equatable {
    /// All memories (facts and chunks).
    package var memories: Int
    /// Those with an embedding.
    package var embedded: Int
    /// Ingested documents.
    package var documents: Int

    package init(memories: Int, embedded: Int, documents: Int) {
        self.memories = memories
        self.embedded = embedded
        self.documents = documents
    }
}
