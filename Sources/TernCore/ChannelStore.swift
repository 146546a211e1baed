package import Foundation

/// The durable state of the chat channels (Telegram first): how far each channel has read its
/// updates, which updates it has already handled, which Telegram accounts speak for which Tern
/// users, and the one-time codes that make those links.
///
/// Tables `channel_state`, `channel_updates`, `telegram_links` and `telegram_link_codes`
/// (migration 6), `channel_inbox` and `channel_chat_contexts` (migration 9). Every method is safe
/// to call from several replicas at once.
package protocol ChannelStore: Sendable {
    /// The last offset saved for `channel`, or `nil` if none was.
    func offset(for channel: String) async throws -> Int64?
    /// Saves the offset of `channel` unless a higher one is already stored: offsets only move
    /// forward, so a late writer never moves a channel back to updates already handled.
    /// - Throws: ``StoreError/invalid(_:)`` for a channel name that is empty or too long.
    func saveOffset(_ offset: Int64, for channel: String) async throws

    /// Records that update `updateID` of `channel` is being handled; `true` if it was new,
    /// `false` if it was already recorded (a duplicate to skip). Of several callers at once,
    /// exactly one gets `true`.
    /// - Throws: ``StoreError/invalid(_:)`` for a channel name that is empty or too long.
    func markProcessed(_ updateID: Int64, channel: String) async throws -> Bool
    /// Forgets the processed updates of `channel` below `updateID`; returns how many.
    func pruneProcessed(channel: String, below updateID: Int64) async throws -> Int

    /// Queues update `updateID` of `channel` durably with its `payload` (the update as received),
    /// so the platform may be told it arrived before it is handled; `true` if it was new, `false`
    /// if it was queued already (which changes nothing).
    /// - Throws: ``StoreError/invalid(_:)`` for a channel name that is empty or too long.
    func enqueue(_ updateID: Int64, payload: String, channel: String) async throws -> Bool
    /// The updates of `channel` queued and not yet dequeued, oldest (lowest id) first.
    func queuedUpdates(channel: String) async throws -> [QueuedChannelUpdate]
    /// Removes a queued update (it was taken for handling); removing one not queued does nothing.
    func dequeue(_ updateID: Int64, channel: String) async throws

    /// The context chat `chat` of `channel` talks in, if one was chosen.
    func chatContext(chat: Int64, channel: String) async throws -> ContextID?
    /// Chooses the context chat `chat` of `channel` talks in, replacing an earlier choice. SQL
    /// stores forget the choice when the context is deleted.
    /// - Throws: ``StoreError/invalid(_:)`` for a channel name that is empty or too long; SQL
    ///   stores ``StoreError/notFound(_:)`` for an unknown context.
    func setChatContext(_ context: ContextID, chat: Int64, channel: String) async throws

    /// The Tern user a Telegram account is linked to, or `nil`.
    func linkedUser(telegramUserID: Int64) async throws -> UserID?
    /// Removes the link of a Telegram account.
    /// - Throws: ``StoreError/notFound(_:)`` when the account is not linked.
    func unlink(telegramUserID: Int64) async throws

    /// A new one-time code (``LinkCode``) with which a Telegram account links itself to `user`
    /// until `expiresAt`. SQL stores keep only a keyed hash of it.
    /// - Throws: SQL stores ``StoreError/notFound(_:)`` for an unknown user.
    func createLinkCode(for user: UserID, expiresAt: Date) async throws -> String
    /// Redeems a link code, atomically: the code is used up and the Telegram account is linked
    /// to the code's user (replacing any link it had). Returns that user, or `nil` for a code
    /// that is unknown, already used or expired at `time` (an expired one is deleted too). Of
    /// several redemptions of one code at once, exactly one succeeds. Case and surrounding
    /// spaces of `code` do not matter.
    func redeemLinkCode(_ code: String, telegramUserID: Int64, at time: Date) async throws -> UserID?
    /// Deletes every link code expired at `time`; returns how many.
    func deleteExpiredLinkCodes(at time: Date) async throws -> Int
}

extension ChannelStore {
    /// The longest channel name a store accepts.
    package static var maxChannelLength: Int { 100 }

    /// Checks a channel name: 1 to ``maxChannelLength`` characters.
    /// - Throws: ``StoreError/invalid(_:)`` naming the limit.
    package static func validate(channel: String) throws {
        guard (1...maxChannelLength).contains(channel.count) else {
            throw StoreError.invalid("channel name must be 1 to \(maxChannelLength) characters")
        }
    }
}

/// An update queued by ``ChannelStore/enqueue(_:payload:channel:)``.
package struct QueuedChannelUpdate: Sendable, Equatable {
    /// The platform's update id.
    package var updateID: Int64
    /// The update as received (for Telegram, its JSON).
    package var payload: String

    /// Creates a queued update.
    package init(updateID: Int64, payload: String) {
        self.updateID = updateID
        self.payload = payload
    }
}

/// The one-time codes that link a chat account to a Tern user: ``length`` characters of an
/// alphabet without look-alikes (no `0`/`O`, `1`/`I`), about 50 bits, short-lived.
package enum LinkCode {
    /// The characters a code is made of.
    package static let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    /// How many characters a code has.
    package static let length = 10

    /// A new random code from the system's secure generator.
    package static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// `text` as a code as typed by a person (trimmed, upper-cased), or `nil` when it cannot be one.
    package static func normalise(_ text: String) -> String? {
        let code = text.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        guard code.count == length, code.allSatisfy(alphabet.contains) else { return nil }
        return code
    }
}
