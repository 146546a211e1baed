import SQLKit
import Synchronization
package import TernCore

extension SQLMemoryStore {
    /// SQLite: FTS5's `optimize` merges every segment of `memories_fts` into one (docs/benchmarks.md,
    /// "Issue 18: the keyword index in one piece"). PostgreSQL: nothing to merge.
    package func compactKeywordIndex(_ when: KeywordIndexCompaction) async throws -> Bool {
        guard database.dialect == .sqlite else { return false }
        let claimed: KeywordIndexWrites.Pending?
        switch when {
        case .now: claimed = keywordWrites.takeAll()
        case .ifDue(let idle, let longest):
            guard let due = keywordWrites.takeIfDue(idle: idle, longest: longest) else { return false }
            claimed = due
        }
        do {
            try await database.write { db in
                try await db.raw("INSERT INTO memories_fts (memories_fts) VALUES ('optimize')").run()
            }
        } catch {
            // Not merged: due again at the next check.
            if let claimed { keywordWrites.putBack(claimed) }
            throw error
        }
        return true
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
