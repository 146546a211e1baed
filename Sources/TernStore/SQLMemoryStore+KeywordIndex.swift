import SQLKit
import Synchronization
package import TernCore

extension SQLMemoryStore {
    /// SQLite: FTS5's `optimize` merges every segment of `memories_fts` into one (docs/benchmarks.md,
    /// "Issue 18: the keyword index in one piece"), unless `when` asks first whether the index is
    /// split enough (``isFragmented(segmentPages:)``), which is read on the writer with the merge.
    /// PostgreSQL: nothing to merge.
    package func compactKeywordIndex(_ when: KeywordIndexCompaction) async throws -> Bool {
        guard database.dialect == .sqlite else { return false }
        let claimed: KeywordIndexWrites.Pending?
        switch when {
        case .always, .ifFragmented: claimed = keywordWrites.takeAll()
        case .ifDue(let idle, let longest):
            guard let due = keywordWrites.takeIfDue(idle: idle, longest: longest) else { return false }
            claimed = due
        }
        let checked = when != .always
        do {
            return try await database.write { db in
                if checked {
                    // One row per leaf page of each segment.
                    let pages = try await db.raw("SELECT COUNT(*) AS pages FROM memories_fts_idx GROUP BY segid").all()
                        .map { try $0.decode(column: "pages", as: Int.self) }
                    guard Self.isFragmented(segmentPages: pages) else { return false }
                }
                try await db.raw("INSERT INTO memories_fts (memories_fts) VALUES ('optimize')").run()
                return true
            }
        } catch {
            // Not checked or not merged: due again at the next check.
            if let claimed { keywordWrites.putBack(claimed) }
            throw error
        }
    }

    /// PostgreSQL: `ANALYZE (SKIP_LOCKED) memories` (an index build in progress holds a lock
    /// `ANALYZE` would wait behind for the whole build; then it is skipped, and autovacuum
    /// analyzes later); SQLite: nothing.
    package func refreshStatistics() async throws -> Bool {
        guard database.dialect == .postgres else { return false }
        try await database.write { db in try await db.raw("ANALYZE (SKIP_LOCKED) memories").run() }
        return true
    }

    /// Whether segments of these sizes (leaf pages) are worth a merge that rewrites them all:
    /// two or more, those beside the largest holding at least a tenth of its pages. So a bulk
    /// load's segments are merged, and the one-page segments of single memories only once they
    /// add up to a tenth of the index: the rewriting a merge costs stays within ten times what
    /// was written since the last one.
    static func isFragmented(segmentPages: [Int]) -> Bool {
        guard segmentPages.count > 1, let largest = segmentPages.max() else { return false }
        return (segmentPages.reduce(0, +) - largest) * 10 >= largest
    }
}

/// A store's writes to the full-text index since its last merge: when the first and the last
/// were made.
final class KeywordIndexWrites: Sendable {
    struct Pending: Sendable, Equatable {
        var first: ContinuousClock.Instant
        var last: ContinuousClock.Instant
    }

    private let pending = Mutex<Pending?>(nil)

    /// Records a committed write.
    func wrote(at now: ContinuousClock.Instant = .now) {
        pending.withLock { pending in
            if pending == nil {
                pending = Pending(first: now, last: now)
            } else {
                pending?.last = now
            }
        }
    }

    /// The writes not yet merged, now forgotten (`nil`: none).
    func takeAll() -> Pending? {
        pending.withLock { pending in
            defer { pending = nil }
            return pending
        }
    }

    /// ``takeAll()`` when nothing was written for `idle` or the first write is `longest` old;
    /// else `nil` and they stay.
    func takeIfDue(idle: Duration, longest: Duration, now: ContinuousClock.Instant = .now) -> Pending? {
        pending.withLock { pending in
            guard let waiting = pending, now - waiting.last >= idle || now - waiting.first >= longest else { return nil }
            pending = nil
            return waiting
        }
    }

    /// Puts back writes whose merge failed, together with any made meanwhile.
    func putBack(_ writes: Pending) {
        pending.withLock { pending in
            if let later = pending {
                pending = Pending(first: min(writes.first, later.first), last: max(writes.last, later.last))
            } else {
                pending = writes
            }
        }
    }
}
