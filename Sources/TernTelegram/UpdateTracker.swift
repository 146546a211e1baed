import Foundation

/// Which fetched updates are safely stored, and so how far the Bot API offset may move: up to
/// (not past) the oldest update whose user message is not stored yet. Telegram sends the rest
/// again on the next poll; ids already handed out are skipped.
struct UpdateTracker {
    /// Ids handed to a chat and not yet stored.
    private(set) var pending: Set<Int64> = []
    /// The highest id seen.
    private(set) var highest: Int64?

    /// Whether `id` is new (not pending, not behind what was already confirmed).
    mutating func accept(_ id: Int64, confirmedBelow offset: Int64?) -> Bool {
        if let offset, id < offset { return false }
        guard !pending.contains(id) else { return false }
        if let highest, id <= highest, !pending.contains(id) {
            // Seen before and already stored (only the offset lagged behind).
            return false
        }
        pending.insert(id)
        highest = max(highest ?? id, id)
        return true
    }

    /// The update's user message is stored (or it needs none).
    mutating func stored(_ id: Int64) { pending.remove(id) }

    /// The offset to confirm: the oldest pending id, or one past the highest seen.
    var offset: Int64? {
        if let oldest = pending.min() { return oldest }
        return highest.map { $0 + 1 }
    }
}
