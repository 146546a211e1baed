package import Foundation

/// A document to ingest: its chunks replace whatever the context holds for `source`, unless the
/// stored document has the same `contentHash` (then nothing changes).
package struct MemoryDocument: Sendable, Equatable {
    /// The document's name in the context, e.g. its path relative to what was ingested; unique
    /// per context. Each chunk's ``StoredMemory/source`` is this.
    package var source: String
    /// A hash of the document's content (any stable text, e.g. SHA-256 hex), compared as is.
    package var contentHash: String
    /// The chunks in document order (at least one).
    package var chunks: [MemoryChunk]
    /// Free-form JSON object given to every chunk (e.g. the media type); `nil` for none.
    package var metadata: JSONValue?

    package init(source: String, contentHash: String, chunks: [MemoryChunk], metadata: JSONValue? = nil) {
        self.source = source
        self.contentHash = contentHash
        self.chunks = chunks
        self.metadata = metadata
    }
}

/// One chunk of a ``MemoryDocument``.
package struct MemoryChunk: Sendable, Equatable {
    package var text: String
    /// The chunk's embedding, or `nil` (keyword recall only, until reembedded).
    package var embedding: MemoryEmbedding?

    package init(text: String, embedding: MemoryEmbedding? = nil) {
        self.text = text
        self.embedding = embedding
    }
}

/// What ``MemoryStore/ingest(_:in:)`` did.
package enum MemoryIngestOutcome: String, Sendable, Equatable {
    /// The same source with the same hash was there: nothing changed.
    case unchanged
    /// The source was new.
    case added
    /// The source was there with another hash: its old chunks are gone, the new ones stored.
    case replaced
}

/// The result of one ingestion.
package struct MemoryIngestResult: Sendable, Equatable {
    package var outcome: MemoryIngestOutcome
    package var documentID: MemoryDocumentID
    /// Chunks the document has now.
    package var chunkCount: Int

    package init(outcome: MemoryIngestOutcome, documentID: MemoryDocumentID, chunkCount: Int) {
        self.outcome = outcome
        self.documentID = documentID
        self.chunkCount = chunkCount
    }
}

/// An ingested document as stored.
package struct StoredMemoryDocument: Sendable, Equatable {
    package var id: MemoryDocumentID
    package var source: String
    package var contentHash: String
    package var chunkCount: Int
    /// When its current content was ingested.
    package var updatedAt: Date

    package init(id: MemoryDocumentID, source: String, contentHash: String, chunkCount: Int, updatedAt: Date) {
        self.id = id
        self.source = source
        self.contentHash = contentHash
        self.chunkCount = chunkCount
        self.updatedAt = updatedAt
    }
}
