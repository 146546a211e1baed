package import TernCore

/// Wraps a ``ConversationStore`` and publishes every stored message (appended, or stored with a
/// new session), so a test can await "the partial answer was stored" instead of sleeping.
package final class RecordingConversationStore: ConversationStore {
    private let base: any ConversationStore
    /// Every message stored through this store, in order.
    package let appended: AsyncStream<Message>
    private let continuation: AsyncStream<Message>.Continuation
    private let beforeOpening: (@Sendable () async -> Void)?

    /// `beforeOpening` runs at the start of every ``openSession(in:platform:platformID:firstMessage:)``
    /// (a test holds a turn there, while the turn gateway waits for the store).
    package init(_ base: any ConversationStore, beforeOpening: (@Sendable () async -> Void)? = nil) {
        self.base = base
        self.beforeOpening = beforeOpening
        (appended, continuation) = AsyncStream.makeStream(of: Message.self, bufferingPolicy: .unbounded)
    }

    package func conversation(in context: ContextID, platform: String, platformID: String) async throws
        -> Conversation
    {
        try await base.conversation(in: context, platform: platform, platformID: platformID)
    }

    package func currentSession(of conversation: ConversationID, in context: ContextID) async throws -> Session {
        try await base.currentSession(of: conversation, in: context)
    }

    package func openSession(
        in context: ContextID, platform: String, platformID: String, firstMessage: String?, outlineLimit: Int
    ) async throws -> OpenedSession {
        await beforeOpening?()
        let opened = try await base.openSession(
            in: context, platform: platform, platformID: platformID, firstMessage: firstMessage,
            outlineLimit: outlineLimit)
        if let stored = opened.firstMessage { continuation.yield(stored) }
        return opened
    }

    package func startSession(of conversation: ConversationID, in context: ContextID) async throws -> Session {
        try await base.startSession(of: conversation, in: context)
    }

    package func append(_ message: NewMessage, in context: ContextID) async throws -> Message {
        let stored = try await base.append(message, in: context)
        continuation.yield(stored)
        return stored
    }

    package func history(of session: SessionID, in context: ContextID, limit: Int) async throws -> [Message] {
        try await base.history(of: session, in: context, limit: limit)
    }

    package func outline(of session: SessionID, in context: ContextID, limit: Int) async throws -> [MessageOutline] {
        try await base.outline(of: session, in: context, limit: limit)
    }

    @discardableResult
    package func supersede(from message: MessageID, in context: ContextID) async throws -> Int {
        try await base.supersede(from: message, in: context)
    }

    /// Waits for the next appended message that matches.
    package func next(where predicate: (Message) -> Bool) async -> Message? {
        for await message in appended where predicate(message) {
            return message
        }
        return nil
    }
}
