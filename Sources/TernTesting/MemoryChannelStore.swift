package import Foundation
import Synchronization
package import TernCore

/// An in-memory ``ChannelStore`` with the SQL store's rules: offsets only move forward, an
/// update is new exactly once, link codes are single-use and refused (and removed) once expired,
/// redeeming replaces an account's link. Times are truncated to microseconds, as stored rows are.
///
/// It keeps codes in clear (nothing to protect in a test) and does not know which users exist,
/// so unlike the SQL store ``createLinkCode(for:expiresAt:)`` and
/// ``setChatContext(_:chat:channel:)`` never throw ``StoreError/notFound(_:)``.
package final class MemoryChannelStore: ChannelStore {
    private struct PendingCode {
        var user: UserID
        var expiresAt: Int64
    }

    private struct State {
        var offsets: [String: Int64] = [:]
        var processed: [String: Set<Int64>] = [:]
        var links: [Int64: UserID] = [:]
        var codes: [String: PendingCode] = [:]
        var inbox: [String: [Int64: String]] = [:]
        var chatContexts: [String: [Int64: ContextID]] = [:]
    }

    private let state = Mutex(State())

    /// An empty store.
    package init() {}

    /// Every Telegram account's linked user; for assertions in tests.
    package var links: [Int64: UserID] { state.withLock { $0.links } }

    package func offset(for channel: String) async throws -> Int64? {
        state.withLock { $0.offsets[channel] }
    }

    package func saveOffset(_ offset: Int64, for channel: String) async throws {
        try Self.validate(channel: channel)
        state.withLock { state in
            state.offsets[channel] = max(offset, state.offsets[channel] ?? .min)
        }
    }

    package func markProcessed(_ updateID: Int64, channel: String) async throws -> Bool {
        try Self.validate(channel: channel)
        return state.withLock { $0.processed[channel, default: []].insert(updateID).inserted }
    }

    package func pruneProcessed(channel: String, below updateID: Int64) async throws -> Int {
        state.withLock { state in
            guard let ids = state.processed[channel] else { return 0 }
            let kept = ids.filter { $0 >= updateID }
            state.processed[channel] = kept
            return ids.count - kept.count
        }
    }

    package func enqueue(_ updateID: Int64, payload: String, channel: String) async throws -> Bool {
        try Self.validate(channel: channel)
        return state.withLock { state in
            guard state.inbox[channel]?[updateID] == nil else { return false }
            state.inbox[channel, default: [:]][updateID] = payload
            return true
        }
    }

    package func queuedUpdates(channel: String) async throws -> [QueuedChannelUpdate] {
        state.withLock { state in
            (state.inbox[channel] ?? [:]).sorted { $0.key < $1.key }
                .map { QueuedChannelUpdate(updateID: $0.key, payload: $0.value) }
        }
    }

    package func dequeue(_ updateID: Int64, channel: String) async throws {
        state.withLock { _ = $0.inbox[channel]?.removeValue(forKey: updateID) }
    }

    package func chatContext(chat: Int64, channel: String) async throws -> ContextID? {
        state.withLock { $0.chatContexts[channel]?[chat] }
    }

    package func setChatContext(_ context: ContextID, chat: Int64, channel: String) async throws {
        try Self.validate(channel: channel)
        state.withLock { $0.chatContexts[channel, default: [:]][chat] = context }
    }

    package func linkedUser(telegramUserID: Int64) async throws -> UserID? {
        state.withLock { $0.links[telegramUserID] }
    }

    package func unlink(telegramUserID: Int64) async throws {
        try state.withLock { state in
            guard state.links.removeValue(forKey: telegramUserID) != nil else {
                throw StoreError.notFound("telegram user \(telegramUserID) is not linked")
            }
        }
    }

    package func createLinkCode(for user: UserID, expiresAt: Date) async throws -> String {
        let code = LinkCode.make()
        state.withLock { state in
            state.codes[code] = PendingCode(user: user, expiresAt: expiresAt.microsecondsSince1970)
        }
        return code
    }

    package func redeemLinkCode(_ code: String, telegramUserID: Int64, at time: Date) async throws -> UserID? {
        guard let code = LinkCode.normalise(code) else { return nil }
        let at = time.microsecondsSince1970
        return state.withLock { state in
            guard let pending = state.codes.removeValue(forKey: code), pending.expiresAt > at else { return nil }
            state.links[telegramUserID] = pending.user
            return pending.user
        }
    }

    package func deleteExpiredLinkCodes(at time: Date) async throws -> Int {
        let at = time.microsecondsSince1970
        return state.withLock { state in
            let before = state.codes.count
            state.codes = state.codes.filter { $0.value.expiresAt > at }
            return before - state.codes.count
        }
    }
}
