package import Foundation

extension IDTag {
    /// Tag of ``MemoryID``.
    package enum Memory {}
    /// Tag of ``MemoryDocumentID``.
    package enum MemoryDocument {}
}

/// Identifies one stored memory (a remembered fact or one chunk of an ingested document).
package typealias MemoryID = TypedID<IDTag.Memory>
/// Identifies one ingested document of a context.
package typealias MemoryDocumentID = TypedID<IDTag.MemoryDocument>

/// A vector for a piece of text and the model that made it. Vectors of one context all come
/// from one model and have one dimension (``MemoryEmbeddingInfo``); the store refuses others.
package struct MemoryEmbedding: Sendable, Equatable {
    /// The components; never empty.
    package var vector: [Float]
    /// The embedding model's name, as sent to `/v1/embeddings`.
    package var model: String

    package init(vector: [Float], model: String) {
        self.vector = vector
        self.model = model
    }

    /// The number of components.
    package var dimension: Int { vector.count }
}

/// A fact to remember; the store assigns the ID and time.
package struct NewMemory: Sendable, Equatable {
    /// The text recalled later (and searched by keyword).
    package var text: String
    /// Where it came from, shown with it when recalled: `user`, `turn-summary`, a tool name, ….
    package var source: String
    /// Free-form JSON object (e.g. the conversation it came from); `nil` for none.
    package var metadata: JSONValue?
    /// The text's embedding, or `nil` when no embedding provider is configured or it failed
    /// (keyword recall still finds it; `tern memory reembed` can add it later).
    package var embedding: MemoryEmbedding?

    package init(text: String, source: String, metadata: JSONValue? = nil, embedding: MemoryEmbedding? = nil) {
        self.text = text
        self.source = source
        self.metadata = metadata
        self.embedding = embedding
    }
}

/// A memory as stored.
package struct StoredMemory: Sendable, Equatable {
    package var id: MemoryID
    package var text: String
    package var source: String
    package var metadata: JSONValue?
    /// The document it is a chunk of, and its place there; `nil` for a remembered fact.
    package var documentID: MemoryDocumentID?
    package var chunkIndex: Int?
    /// Whether it has an embedding (vector recall can find it).
    package var hasEmbedding: Bool
    package var createdAt: Date

    package init(
        id: MemoryID, text: String, source: String, metadata: JSONValue?, documentID: MemoryDocumentID?,
        chunkIndex: Int?, hasEmbedding: Bool, createdAt: Date
    ) {
        self.id = id
        self.text = text
        self.source = source
        self.metadata = metadata
        self.documentID = documentID
        self.chunkIndex = chunkIndex
        self.hasEmbedding = hasEmbedding
        self.createdAt = createdAt
    }
}

/// Why a memory operation was refused (besides ``StoreError``s: not found, invalid, database).
package enum MemoryError: Error, Equatable, CustomStringConvertible {
    /// An embedding's dimension differs from the one the context recorded.
    case dimensionMismatch(recorded: Int, given: Int)
    /// An embedding comes from another model than the one the context recorded.
    case modelMismatch(recorded: String, given: String)

    package var description: String {
        switch self {
        case .dimensionMismatch(let recorded, let given):
            "embedding dimension mismatch: this context's memories have \(recorded) dimensions, "
                + "the embedding given has \(given); run `tern memory reembed` after changing the embedding model"
        case .modelMismatch(let recorded, let given):
            "embedding model mismatch: this context's memories were embedded with '\(recorded)', "
                + "the embedding given comes from '\(given)'; run `tern memory reembed` after changing the embedding model"
        }
    }
}
