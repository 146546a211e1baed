package import Foundation

/// What to recall: the keyword side searches `text`, the vector side (when `embedding` is given
/// and the context has embedded memories) ranks by cosine similarity to `embedding`.
package struct MemoryQuery: Sendable, Equatable {
    /// The user's words. Any text is safe: stores escape it for their full-text syntax.
    package var text: String
    /// The embedding of `text`, or `nil` for keyword recall alone.
    package var embedding: MemoryEmbedding?
    /// How many hits to return at most (1…100).
    package var k: Int
    /// Vector candidates below this cosine similarity are dropped before fusion. Keyword
    /// candidates are never dropped by it: a memory that matches the words stays a hit.
    package var minimumSimilarity: Double?
    /// Narrows both sides.
    package var filter: MemoryFilter

    package init(
        text: String, embedding: MemoryEmbedding? = nil, k: Int = 5, minimumSimilarity: Double? = nil,
        filter: MemoryFilter = MemoryFilter()
    ) {
        self.text = text
        self.embedding = embedding
        self.k = k
        self.minimumSimilarity = minimumSimilarity
        self.filter = filter
    }

    /// The largest `k` a store answers.
    package static let maximumK = 100
}

/// Which memories a recall or list may return.
package struct MemoryFilter: Sendable, Equatable {
    /// Only memories whose source starts with this (e.g. `docs/` for ingested files under docs).
    package var sourcePrefix: String?
    /// Only remembered facts (`.facts`), only document chunks (`.documents`), or both (`nil`).
    package var kind: MemoryKind?

    package init(sourcePrefix: String? = nil, kind: MemoryKind? = nil) {
        self.sourcePrefix = sourcePrefix
        self.kind = kind
    }
}

/// The two kinds of memory.
package enum MemoryKind: String, Sendable, Equatable, CaseIterable {
    /// Remembered with ``MemoryStore/remember(_:in:)``.
    case facts
    /// Chunks of documents ingested with ``MemoryStore/ingest(_:in:)``.
    case documents
}

/// One recalled memory with how it was found.
///
/// `score` is the reciprocal rank fusion of the two ranked lists, `Σ 1/(60 + rank)` over the
/// lists it is in (ranks from 1), so hits in both lists come first; hits are sorted by it
/// (ties: see ``MemoryFusion``). `keywordRank` and `vectorRank` say which lists it was in.
package struct MemoryHit: Sendable, Equatable {
    package var memory: StoredMemory
    /// The fused score (higher is better); comparable only within one answer.
    package var score: Double
    /// Its rank (1 = best) in the full-text list, or `nil` if the words did not match it.
    package var keywordRank: Int?
    /// Its rank (1 = best) in the vector list, or `nil` if it was not a vector candidate.
    package var vectorRank: Int?
    /// Its cosine similarity to the query embedding, when it has an embedding and the query had one.
    package var similarity: Double?

    package init(memory: StoredMemory, score: Double, keywordRank: Int?, vectorRank: Int?, similarity: Double?) {
        self.memory = memory
        self.score = score
        self.keywordRank = keywordRank
        self.vectorRank = vectorRank
        self.similarity = similarity
    }

    /// The RRF constant.
    package static let fusionK = 60.0
}

/// A keyset position in ``MemoryStore/list(in:page:)``: the `(created_at, id)` of the last row
/// of a page, as an opaque token.
package struct MemoryCursor: Sendable, Equatable {
    package var createdAt: Int64
    package var id: MemoryID

    package init(createdAt: Int64, id: MemoryID) {
        self.createdAt = createdAt
        self.id = id
    }

    /// `<microseconds>.<id>`, what clients pass back.
    package var token: String { "\(createdAt).\(id.rawValue)" }

    /// Parses a token; `nil` when it is not one.
    package init?(token: String) {
        let parts = token.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let at = Int64(parts[0]), !parts[1].isEmpty else { return nil }
        self.init(createdAt: at, id: MemoryID(String(parts[1])))
    }
}

/// Which page of ``MemoryStore/list(in:page:)`` to read: newest first, from after `cursor`.
package struct MemoryPageRequest: Sendable, Equatable {
    package var cursor: MemoryCursor?
    /// 1…500.
    package var limit: Int
    package var filter: MemoryFilter

    package init(cursor: MemoryCursor? = nil, limit: Int = 50, filter: MemoryFilter = MemoryFilter()) {
        self.cursor = cursor
        self.limit = limit
        self.filter = filter
    }
}

/// One page of memories, newest first, and where the next starts (`nil` at the end).
package struct MemoryPage: Sendable, Equatable {
    package var memories: [StoredMemory]
    package var next: MemoryCursor?

    package init(memories: [StoredMemory], next: MemoryCursor?) {
        self.memories = memories
        self.next = next
    }
}
