import Synchronization

/// How many memories each word matches (SQLite: in the full-text index of every context;
/// PostgreSQL: in one context, keyed `"<context> <word>"`), kept for a while, so that a keyword
/// recall can leave out the words that would make it rank most of the memories.
///
/// FTS5 ranks every row that matches any of the query's words before it filters on the context
/// and the limit (bm25 costs about 3 µs a row; PostgreSQL's `ts_rank` every row of the context
/// that matches): a turn's text of 20-30 words that include common
/// ones ("server", "help") matches most memories, which made the keyword side of a recall cost
/// 16-31 ms at 10,000 memories (docs/benchmarks.md, "Issue 18: the keyword side of long turn
/// texts"). ``SQLMemoryStore/rankedWords(_:counts:budget:withVectors:)`` keeps the rarest words
/// within a row budget, by these counts.
///
/// The counts only choose which words are searched, never which rows are returned, so they may
/// be stale: an entry is used for `maxAge`, whoever changed the memories since. A word counted 0
/// is still searched (it costs nothing to rank), so a memory remembered after its words were
/// counted is found at once.
final class MemoryTermCounts: Sendable {
    /// How long a count is used: 60 seconds.
    static let defaultMaxAge: Duration = .seconds(60)

    let maxAge: Duration
    private let capacity: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let entries = Mutex<[String: (count: Int, readAt: ContinuousClock.Instant)]>([:])

    /// - Parameters:
    ///   - maxAge: how long a count is used before it is read again.
    ///   - capacity: the most words kept (all are dropped when full).
    ///   - now: the clock, injectable for tests.
    init(
        maxAge: Duration = defaultMaxAge, capacity: Int = 16_384,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.maxAge = maxAge
        self.capacity = max(1, capacity)
        self.now = now
    }

    /// The counts of `words`: those kept and young enough from here, the others from `load`
    /// (given the missing words, answering a count for each), which are then kept.
    func counts(of words: [String], load: ([String]) async throws -> [String: Int]) async throws -> [String: Int] {
        let start = now()
        var known: [String: Int] = [:]
        var missing: [String] = []
        entries.withLock { entries in
            for word in words {
                if let entry = entries[word], start - entry.readAt < maxAge {
                    known[word] = entry.count
                } else {
                    missing.append(word)
                }
            }
        }
        guard !missing.isEmpty else { return known }
        let loaded = try await load(missing)
        entries.withLock { entries in
            let added = loaded.keys.count { entries[$0] == nil }
            if entries.count + added > capacity { entries.removeAll(keepingCapacity: true) }
            for (word, count) in loaded { entries[word] = (count, start) }
        }
        known.merge(loaded) { _, new in new }
        return known
    }

    /// Words counted so far and still kept (for tests).
    var keptCount: Int { entries.withLock { $0.count } }
}
