import Foundation

/// Which updates the bot has seen, and so how far the Bot API offset may move: past every update
/// seen, because each one is queued durably (``ChannelStore/enqueue(_:payload:channel:)``) before
/// it counts as seen. Telegram therefore never sends an update twice while it waits for its chat,
/// and the poll stays one long poll at a time however slow a turn is.
///
/// Updates still pending (queued, not yet taken for handling) keep their `channel_updates` ids
/// from being pruned: ``pruneBound`` stops below the oldest of them.
struct UpdateTracker {
    /// Ids queued and handed to a chat, not yet taken for handling.
    private(set) var pending: Set<Int64> = []
    /// The highest id seen.
    private(set) var highest: Int64?

    /// Whether `id` is new: not behind the confirmed `offset` and above every id seen. Update ids
    /// only grow and are queued in order, so an id at or below the highest seen was seen before.
    func isNew(_ id: Int64, confirmedBelow offset: Int64?) -> Bool {
        if let offset, id < offset { return false }
        if let highest, id <= highest { return false }
        return true
    }

    /// Update `id` is seen; `pending` when it was queued for a chat (not when it needs nothing).
    mutating func seen(_ id: Int64, pending isPending: Bool) {
        if isPending { pending.insert(id) }
        highest = max(highest ?? id, id)
    }

    /// The update was taken for handling (recorded as processed and removed from the inbox).
    mutating func taken(_ id: Int64) { pending.remove(id) }

    /// The offset to confirm: one past the highest id seen.
    var offset: Int64? { highest.map { $0 + 1 } }

    /// Below which processed ids may be forgotten: the oldest pending id, else ``offset``.
    var pruneBound: Int64? { pending.min() ?? offset }
}
