import NIOCore
import SQLKit
import TernCore

/// The SQLite memory store's vectors held in this process, per context: one sign-bit code per
/// embedded memory (48 bytes at 384 dimensions) with its `seq` for the coarse pre-filter, and for
/// a context of at most `heldVectorsPerContext` embedded memories also the float32 vectors and
/// IDs, so that its recall reranks without reading anything.
///
/// Scoring every float32 vector of a large context means reading all of them from SQLite on
/// every recall (150 MB at 100k × 384), far too slow; the codes are 1/32 of that and compared
/// with popcount. The store then scores exactly the float32 vectors of only the best candidates,
/// from memory when they are held, else read by `seq`. All of it is a cache, never the truth:
/// rows added since the last look are loaded by `seq` (never reused: `AUTOINCREMENT`), and the
/// whole context is reloaded when `memory_settings.embedding_generation` changed (the store
/// bumps it whenever embedded rows are deleted or re-embedded, in this or another process). The
/// look for added rows is skipped while the context's ``MemoryRecallCache`` stamp is fresh (no
/// change through this store, younger than its maximum age). A deleted row still cached only
/// costs a candidate slot until then: the store reads the hits' rows, and a deleted one is not
/// there. Contexts are evicted least recently used beyond `budgetBytes`; a context larger than
/// the budget is not cached and recall scans its vectors exactly instead.
actor SQLiteMemoryVectorIndex {
    /// A context's vectors as of one recall.
    struct Snapshot: Sendable {
        var words: Int
        var seqs: [Int64]
        var codes: [UInt64]
        /// The float32 vectors and IDs, row for row with `seqs`, when the context's are held.
        var held: HeldVectors?
    }

    /// Float32 vectors scaled to length 1 (`dimension` each, one after the other) and their
    /// memories' IDs.
    struct HeldVectors: Sendable {
        var ids: [MemoryID] = []
        var values: [Float] = []
        /// Bytes counted against the budget (an ID as 64).
        var bytes: Int { ids.count * 64 + values.count * 4 }
    }

    private struct Entry {
        var generation: Int64
        var dimension: Int
        var lastSeq: Int64
        var seqs: [Int64]
        var codes: [UInt64]
        var held: HeldVectors?
        var lastUsed: UInt64
        /// When the rows were last brought up to date.
        var checked: MemoryRecallCache.Stamp?
        var bytes: Int { seqs.count * 8 + codes.count * 8 + (held?.bytes ?? 0) }
    }

    /// Rows of one load.
    private struct Loaded {
        var seqs: [Int64] = []
        var codes: [UInt64] = []
        var held: HeldVectors?
    }

    private var entries: [ContextID: Entry] = [:]
    private var tick: UInt64 = 0
    private let budgetBytes: Int
    private let heldVectorsPerContext: Int
    private let freshness: MemoryRecallCache

    /// Rows read per statement while loading.
    static let pageSize = 4096

    init(budgetBytes: Int, heldVectorsPerContext: Int, freshness: MemoryRecallCache) {
        self.budgetBytes = budgetBytes
        self.heldVectorsPerContext = heldVectorsPerContext
        self.freshness = freshness
    }

    /// The context's vectors, brought up to date unless checked recently; `nil` when they do
    /// not fit the budget.
    func snapshot(
        of context: ContextID, generation: Int64, dimension: Int, database: any DatabaseHandle
    ) async throws -> Snapshot? {
        guard budgetBytes > 0 else { return nil }
        tick += 1
        let words = MemoryVectorMath.codeWords(dimension)
        let current = entries[context].flatMap { $0.generation == generation && $0.dimension == dimension ? $0 : nil }
        if let current, let checked = current.checked, freshness.isFresh(checked, of: context) {
            entries[context]?.lastUsed = tick
            return Snapshot(words: words, seqs: current.seqs, codes: current.codes, held: current.held)
        }
        let stamp = freshness.stamp(of: context)
        let holding: Int? = if let current { current.held?.ids.count } else { 0 }
        let loaded = try await load(
            context, dimension: dimension, after: current?.lastSeq ?? 0, alreadyBytes: current?.bytes ?? 0,
            holding: holding, database: database)
        guard let loaded else {
            entries[context] = nil
            return nil
        }
        // Another recall may have updated the entry while this one was loading: keep what is
        // newer and append only rows past what it has. If the entry went (evicted) while this
        // load added to it, the rows before are missing: answer without the cache this time.
        let matching = entries[context].flatMap { $0.generation == generation && $0.dimension == dimension ? $0 : nil }
        if current != nil, matching == nil { return nil }
        // A new entry takes the loaded rows as they are (in `seq` order, all new).
        var entry =
            matching
            ?? Entry(
                generation: generation, dimension: dimension, lastSeq: loaded.seqs.last ?? 0, seqs: loaded.seqs,
                codes: loaded.codes, held: loaded.held, lastUsed: tick)
        if loaded.held == nil { entry.held = nil }
        for (index, seq) in loaded.seqs.enumerated() where seq > entry.lastSeq {
            entry.seqs.append(seq)
            entry.codes.append(contentsOf: loaded.codes[(index * words)..<((index + 1) * words)])
            if let held = loaded.held, entry.held != nil {
                entry.held?.ids.append(held.ids[index])
                entry.held?.values.append(contentsOf: held.values[(index * dimension)..<((index + 1) * dimension)])
            }
            entry.lastSeq = seq
        }
        entry.lastUsed = tick
        entry.checked = stamp
        entries[context] = entry
        evict(keeping: context)
        guard entries[context] != nil else { return nil }
        return Snapshot(words: words, seqs: entry.seqs, codes: entry.codes, held: entry.held)
    }

    /// Drops least recently used contexts until the cache fits the budget (`keeping` last).
    private func evict(keeping context: ContextID) {
        var total = entries.values.reduce(0) { $0 + $1.bytes }
        while total > budgetBytes,
            let victim = entries.filter({ $0.key != context }).min(by: { $0.value.lastUsed < $1.value.lastUsed }) ?? entries.first
        {
            total -= victim.value.bytes
            entries[victim.key] = nil
        }
    }

    /// Rows of `context` with a `dimension` embedding after `seq`, as codes, and as vectors and
    /// IDs while the context (`holding` rows held already, `nil` for none) stays within
    /// `heldVectorsPerContext` and the budget; `nil` once the codes alone pass the budget.
    private func load(
        _ context: ContextID, dimension: Int, after seq: Int64, alreadyBytes: Int, holding: Int?,
        database: any DatabaseHandle
    ) async throws -> Loaded? {
        var loaded = Loaded()
        if let holding, heldVectorsPerContext > 0, holding <= heldVectorsPerContext { loaded.held = HeldVectors() }
        var last = seq
        let words = MemoryVectorMath.codeWords(dimension)
        while true {
            let after = last
            let withIDs = loaded.held != nil
            let rows = try await database.read { db in
                try await db.raw(
                    """
                    SELECT seq, \(unsafeRaw: withIDs ? "id, " : "")embedding FROM memories
                    WHERE context_id = \(bind: context.rawValue) AND dimension = \(bind: dimension) AND seq > \(bind: after)
                    ORDER BY seq LIMIT \(bind: Self.pageSize)
                    """
                ).all()
            }
            for row in rows {
                let buffer = try row.decode(column: "embedding", as: ByteBuffer.self)
                guard buffer.readableBytes == dimension * 4 else {
                    throw StoreError.database("memories row \(last) has an embedding of the wrong length")
                }
                buffer.withUnsafeReadableBytes { bytes in
                    MemoryVectorMath.signCode(bytes, dimension: dimension, into: &loaded.codes)
                    if loaded.held != nil { MemoryVectorMath.appendNormalized(bytes, dimension: dimension, to: &loaded.held!.values) }
                }
                if withIDs, loaded.held != nil { loaded.held?.ids.append(MemoryID(try row.decode(column: "id", as: String.self))) }
                last = try row.decode(column: "seq", as: Int64.self)
                loaded.seqs.append(last)
            }
            let codeBytes = loaded.seqs.count * 8 * (1 + words)
            if alreadyBytes + codeBytes > budgetBytes { return nil }
            if let held = loaded.held,
                (holding ?? 0) + held.ids.count > heldVectorsPerContext || alreadyBytes + codeBytes + held.bytes > budgetBytes
            {
                loaded.held = nil
            }
            if rows.count < Self.pageSize { return loaded }
        }
    }
}
