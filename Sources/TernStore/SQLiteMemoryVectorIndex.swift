import NIOCore
import SQLKit
import TernCore

/// The SQLite memory store's coarse pre-filter: per context, one sign-bit code per embedded
/// memory (48 bytes at 384 dimensions) and its `seq`, held in this process.
///
/// Scoring every float32 vector of a large context means reading all of them from SQLite on
/// every recall (150 MB at 100k × 384), far too slow; the codes are 1/32 of that and compared
/// with popcount. The store then reads the float32 vectors of only the best candidates and
/// reranks them exactly (``SQLMemoryStore``). The codes are a cache, never the truth:
/// rows added since the last look are loaded by `seq` (never reused: `AUTOINCREMENT`), and the
/// whole context is reloaded when `memory_settings.embedding_generation` changed (the store
/// bumps it whenever embedded rows are deleted or re-embedded, in this or another process).
/// A deleted row whose code is still cached only costs a candidate slot until then. Contexts
/// are evicted least recently used beyond `budgetBytes`; a context larger than the budget is
/// not cached and recall scans its vectors exactly instead.
actor SQLiteMemoryVectorIndex {
    /// A context's codes as of one recall.
    struct Snapshot: Sendable {
        var words: Int
        var seqs: [Int64]
        var codes: [UInt64]
    }

    private struct Entry {
        var generation: Int64
        var dimension: Int
        var lastSeq: Int64
        var seqs: [Int64]
        var codes: [UInt64]
        var lastUsed: UInt64
        var bytes: Int { seqs.count * 8 + codes.count * 8 }
    }

    private var entries: [ContextID: Entry] = [:]
    private var tick: UInt64 = 0
    private let budgetBytes: Int

    /// Rows read per statement while loading.
    static let pageSize = 4096

    init(budgetBytes: Int) {
        self.budgetBytes = budgetBytes
    }

    /// The context's codes, brought up to date; `nil` when they do not fit the budget.
    func snapshot(
        of context: ContextID, generation: Int64, dimension: Int, database: any DatabaseHandle
    ) async throws -> Snapshot? {
        tick += 1
        let words = MemoryVectorMath.codeWords(dimension)
        let current = entries[context].flatMap { $0.generation == generation && $0.dimension == dimension ? $0 : nil }
        let loaded = try await Self.load(
            context, dimension: dimension, after: current?.lastSeq ?? 0, budgetBytes: budgetBytes,
            alreadyBytes: current?.bytes ?? 0, database: database)
        guard let loaded else {
            entries[context] = nil
            return nil
        }
        // Another recall may have updated the entry while this one was loading: keep what is
        // newer and append only rows past what it has.
        var entry =
            entries[context].flatMap { $0.generation == generation && $0.dimension == dimension ? $0 : nil }
            ?? Entry(generation: generation, dimension: dimension, lastSeq: 0, seqs: [], codes: [], lastUsed: tick)
        for (index, seq) in loaded.seqs.enumerated() where seq > entry.lastSeq {
            entry.seqs.append(seq)
            entry.codes.append(contentsOf: loaded.codes[(index * words)..<((index + 1) * words)])
            entry.lastSeq = seq
        }
        entry.lastUsed = tick
        entries[context] = entry
        evict(keeping: context)
        guard entries[context] != nil else { return nil }
        return Snapshot(words: words, seqs: entry.seqs, codes: entry.codes)
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

    /// Rows of `context` with a `dimension` embedding after `seq`, as codes; `nil` once they
    /// pass the budget.
    private static func load(
        _ context: ContextID, dimension: Int, after seq: Int64, budgetBytes: Int, alreadyBytes: Int,
        database: any DatabaseHandle
    ) async throws -> (seqs: [Int64], codes: [UInt64])? {
        var seqs: [Int64] = []
        var codes: [UInt64] = []
        var last = seq
        let words = MemoryVectorMath.codeWords(dimension)
        while true {
            let after = last
            let rows = try await database.read { db in
                try await db.raw(
                    """
                    SELECT seq, embedding FROM memories
                    WHERE context_id = \(bind: context.rawValue) AND dimension = \(bind: dimension) AND seq > \(bind: after)
                    ORDER BY seq LIMIT \(bind: pageSize)
                    """
                ).all()
            }
            for row in rows {
                let buffer = try row.decode(column: "embedding", as: ByteBuffer.self)
                guard buffer.readableBytes == dimension * 4 else {
                    throw StoreError.database("memories row \(last) has an embedding of the wrong length")
                }
                buffer.withUnsafeReadableBytes { MemoryVectorMath.signCode($0, dimension: dimension, into: &codes) }
                last = try row.decode(column: "seq", as: Int64.self)
                seqs.append(last)
            }
            if alreadyBytes + seqs.count * 8 * (1 + words) > budgetBytes { return nil }
            if rows.count < pageSize { return (seqs, codes) }
        }
    }
}

extension SQLiteMemoryVectorIndex.Snapshot {
    /// The `seq`s of the `count` codes nearest (Hamming distance) to `query`'s code; all of them
    /// when there are no more than `count`.
    func nearest(to query: [Float], count: Int) -> [Int64] {
        guard seqs.count > count else { return seqs }
        var queryCode: [UInt64] = []
        query.withUnsafeBytes { MemoryVectorMath.signCode($0, dimension: query.count, into: &queryCode) }
        let maximum = words * 64
        var distances = [UInt16](repeating: 0, count: seqs.count)
        var histogram = [Int](repeating: 0, count: maximum + 1)
        let words = self.words
        codes.withUnsafeBufferPointer { codes in
            queryCode.withUnsafeBufferPointer { queryCode in
                distances.withUnsafeMutableBufferPointer { distances in
                    histogram.withUnsafeMutableBufferPointer { histogram in
                        guard let code = codes.baseAddress, let target = queryCode.baseAddress else { return }
                        for row in 0..<distances.count {
                            let rowCode = code + row * words
                            var distance = 0
                            for word in 0..<words { distance &+= (rowCode[word] ^ target[word]).nonzeroBitCount }
                            distances[row] = UInt16(truncatingIfNeeded: distance)
                            histogram[distance] &+= 1
                        }
                    }
                }
            }
        }
        // The smallest distance that, with all nearer ones, reaches `count` codes.
        var threshold = 0
        var taken = 0
        while threshold <= maximum, taken + histogram[threshold] < count {
            taken += histogram[threshold]
            threshold += 1
        }
        var nearer: [Int64] = []
        var atThreshold: [Int64] = []
        nearer.reserveCapacity(count)
        for row in 0..<seqs.count {
            if distances[row] < threshold {
                nearer.append(seqs[row])
            } else if distances[row] == threshold, atThreshold.count < count - taken {
                atThreshold.append(seqs[row])
            }
        }
        return nearer + atThreshold
    }
}
