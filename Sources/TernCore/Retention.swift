package import Foundation

/// How much old history a retention pass removes (or would remove).
package struct RetentionCounts: Sendable, Equatable, Codable {
    package var messages: Int
    package var sessions: Int
    package var conversations: Int

    package init(messages: Int = 0, sessions: Int = 0, conversations: Int = 0) {
        self.messages = messages
        self.sessions = sessions
        self.conversations = conversations
    }

    package static func + (lhs: Self, rhs: Self) -> Self {
        Self(
            messages: lhs.messages + rhs.messages, sessions: lhs.sessions + rhs.sessions,
            conversations: lhs.conversations + rhs.conversations)
    }
}

/// Deletes history older than a cutoff: messages first, then sessions and conversations left
/// empty, in bounded batches so no single statement holds the database for long.
package protocol RetentionStore: Sendable {
    /// What a pass with this cutoff would delete, without deleting anything.
    func plan(olderThan cutoff: Date) async throws -> RetentionCounts
    /// Deletes one batch of at most `batchSize` rows per table; call until it returns zero counts.
    func deleteBatch(olderThan cutoff: Date, batchSize: Int) async throws -> RetentionCounts
}
