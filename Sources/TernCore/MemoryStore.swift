/// A context's long-term memory: remembered facts and chunks of ingested documents, recalled by
/// keyword and by vector similarity.
///
/// The contract: every method takes the ``ContextID`` it acts in, and a row of another context
/// is never read, changed or revealed (it is reported as not found), exactly as for
/// ``ConversationStore``. Embeddings are optional everywhere: a memory without one is found by
/// keyword only. The first embedding a context stores records its model and dimension
/// (``MemorySettings/embedding``); any later embedding (stored or used as a query) with another
/// dimension or model throws ``MemoryError`` naming both, until ``resetEmbeddings(in:)`` clears
/// them (what `tern memory reembed` does first, then pages through
/// ``memoriesWithoutEmbedding(in:after:limit:)`` and calls ``setEmbeddings(_:in:)``). Recall
/// fuses a full-text list and a vector list with reciprocal rank fusion (``MemoryHit``), and a
/// similarity threshold only drops vector candidates, never keyword matches. Ingestion of one
/// document is one transaction: a crash or error leaves the previous version whole. Text is
/// stored as given; stores escape query text for their full-text syntax, so any user text is
/// a valid query. Empty text or source, or `k`/`limit` out of range, is ``StoreError/invalid(_:)``.
package protocol MemoryStore: Sendable {
    /// Stores a fact; returns its ID.
    func remember(_ memory: NewMemory, in context: ContextID) async throws -> MemoryID

    /// The best `query.k` memories for a query, best first (see ``MemoryHit``). A query with no
    /// usable words and no embedding returns nothing. A query embedding when the context has
    /// recorded none yet is ignored (nothing to compare it with).
    func recall(_ query: MemoryQuery, in context: ContextID) async throws -> [MemoryHit]

    /// One memory by ID. Throws ``StoreError/notFound(_:)`` when it is not in this context.
    func memory(_ id: MemoryID, in context: ContextID) async throws -> StoredMemory

    /// Deletes one memory (a fact or a single chunk). Throws ``StoreError/notFound(_:)`` when it
    /// is not in this context.
    func forget(_ id: MemoryID, in context: ContextID) async throws

    /// Memories newest first, a keyset page at a time.
    func list(in context: ContextID, page: MemoryPageRequest) async throws -> MemoryPage

    /// Stores a document's chunks in one transaction: `.unchanged` when the context has
    /// `document.source` with the same hash, `.replaced` (old chunks deleted) when the hash
    /// differs, `.added` when the source is new.
    func ingest(_ document: MemoryDocument, in context: ContextID) async throws -> MemoryIngestResult

    /// The context's ingested documents, ordered by source.
    func documents(in context: ContextID) async throws -> [StoredMemoryDocument]

    /// Deletes a document and its chunks. Throws ``StoreError/notFound(_:)`` when the context has
    /// no document with that source.
    func deleteDocument(source: String, in context: ContextID) async throws

    /// Embeddings already stored in this context for exactly these texts by `model`, keyed by
    /// text: a cache by content hash, so re-ingesting a changed document embeds only new chunks.
    func cachedEmbeddings(for texts: [String], model: String, in context: ContextID) async throws
        -> [String: MemoryEmbedding]

    /// The context's settings (defaults until changed).
    func settings(in context: ContextID) async throws -> MemorySettings

    /// Replaces the context's preferences; returns the settings. Throws ``StoreError/invalid(_:)``
    /// naming each bad field.
    @discardableResult
    func setPreferences(_ preferences: MemoryPreferences, in context: ContextID) async throws -> MemorySettings

    /// Counts of the context's memories.
    func stats(in context: ContextID) async throws -> MemoryStats

    /// Memories that have no embedding, ordered by ID, after `after` (exclusive), at most `limit`.
    func memoriesWithoutEmbedding(in context: ContextID, after: MemoryID?, limit: Int) async throws
        -> [StoredMemory]

    /// Sets the embeddings of existing memories (IDs not in this context are skipped); records
    /// the model and dimension when none is recorded. All must have one model and dimension.
    /// Returns how many memories were updated.
    @discardableResult
    func setEmbeddings(_ embeddings: [MemoryID: MemoryEmbedding], in context: ContextID) async throws -> Int

    /// Removes every embedding of the context and the recorded model and dimension, in one
    /// transaction; keyword recall keeps working meanwhile.
    func resetEmbeddings(in context: ContextID) async throws

    /// Merges the keyword index's pieces left by writes, for every context at once, when they
    /// are worth merging. SQLite's FTS5 adds a segment for each write transaction and merges
    /// them only in rough steps, and each searched word is looked up in every segment: after a
    /// bulk load of 10,000 memories (13 segments) a keyword search costs two to three times what
    /// it does with one. A merge rewrites the whole index and holds the database's writer while
    /// it runs (8-12 ms at 10,000 memories, 83 ms at 100,000), so it is done only when the
    /// segments beside the largest hold at least a tenth of its size: a load, not the one-row
    /// segments single memories add (those barely slow a search). PostgreSQL's GIN index has
    /// nothing to merge (returns `false`). Returns whether it merged.
    @discardableResult
    func compactKeywordIndex(_ when: KeywordIndexCompaction) async throws -> Bool

    /// Brings the planner's statistics of the memories up to date after a load: PostgreSQL
    /// `ANALYZE memories` (it takes no lock that blocks reads or writes). Until autovacuum's
    /// first analyze of a freshly loaded table, PostgreSQL guessed 300 rows for a context of
    /// 10,000 and searched every vector exactly instead of through the HNSW index: 20-24 ms a
    /// query instead of 0.5-2.4 ms. SQLite plans without statistics (`INDEXED BY`, the query
    /// planner stability guarantee): nothing to do, returns `false`.
    @discardableResult
    func refreshStatistics() async throws -> Bool
}

/// When ``MemoryStore/compactKeywordIndex(_:)`` merges.
package enum KeywordIndexCompaction: Sendable, Equatable {
    /// At once, however the index is split (benchmarks, tests).
    case always
    /// When the index is split as described there (after a bulk ingest).
    case ifFragmented
    /// ``ifFragmented``, checked only when this store has written memories since its last check,
    /// and either nothing has been written for `idle` (a burst of writes, such as an ingest
    /// through the admin API, is checked once after it ends) or the first write not yet checked
    /// is `longest` old. Writes by other processes are merged when this check or theirs runs.
    case ifDue(idle: Duration, longest: Duration)
}
