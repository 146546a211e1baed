package import Foundation
package import TernCore

/// An in-memory ``ConversationStore`` that keeps the same rules as the SQL one: unique
/// `(platform, platformID)`, context scoping, newest-session semantics, ordered history.
package actor MemoryConversationStore: ConversationStore {
    private var conversations: [ConversationID: Conversation] = [:]
    private var sessions: [SessionID: Session] = [:]
    private var messages: [Message] = []
    private var superseded: Set<MessageID> = []
    private var tick: Int64 = 0
    private let start: Date

    package init(start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        self.start = start
    }

    private func now() -> Date {
        tick += 1
        return start.addingTimeInterval(Double(tick) / 1_000_000)
    }

    package func conversation(in context: ContextID, platform: String, platformID: String) throws
        -> Conversation
    {
        if let existing = conversations.values.first(where: {
            $0.platform == platform && $0.platformID == platformID
        }) {
            guard existing.contextID == context else {
                throw StoreError.conflict(
                    "conversation id is already used in another context on platform \(platform)")
            }
            return existing
        }
        let conversation = Conversation(
            id: .random(), contextID: context, platform: platform, platformID: platformID, createdAt: now())
        conversations[conversation.id] = conversation
        return conversation
    }

    package func currentSession(of conversation: ConversationID, in context: ContextID) throws -> Session {
        try requireConversation(conversation, in: context)
        if let newest = sessions.values.filter({ $0.conversationID == conversation })
            .max(by: { $0.createdAt < $1.createdAt })
        {
            return newest
        }
        return try startSession(of: conversation, in: context)
    }

    /// Both in one step of the actor, so two first turns at once find one conversation and one
    /// session; reports a session it made as new, with `firstMessage` stored in it.
    package func openSession(
        in context: ContextID, platform: String, platformID: String, firstMessage: String?, outlineLimit: Int
    ) throws -> OpenedSession {
        let conversation = try conversation(in: context, platform: platform, platformID: platformID)
        let before = sessions.count
        let session = try currentSession(of: conversation.id, in: context)
        guard sessions.count > before else {
            let outline =
                outlineLimit > 0
                ? history(of: session.id, in: context, limit: outlineLimit).map(MessageOutline.init) : nil
            return OpenedSession(conversation: conversation, session: session, isNew: false, outline: outline)
        }
        let stored = try firstMessage.map {
            try append(NewMessage(sessionID: session.id, role: .user, content: $0), in: context)
        }
        return OpenedSession(conversation: conversation, session: session, isNew: true, firstMessage: stored)
    }

    package func startSession(of conversation: ConversationID, in context: ContextID) throws -> Session {
        try requireConversation(conversation, in: context)
        let session = Session(id: .random(), conversationID: conversation, contextID: context, createdAt: now())
        sessions[session.id] = session
        return session
    }

    package func append(_ message: NewMessage, in context: ContextID) throws -> Message {
        guard let session = sessions[message.sessionID], session.contextID == context else {
            throw StoreError.notFound("session \(message.sessionID)")
        }
        let stored = Message(
            id: .random(), sessionID: session.id, contextID: context, role: message.role,
            content: message.content, toolData: message.toolData, usage: message.usage,
            status: message.status, createdAt: now())
        messages.append(stored)
        return stored
    }

    package func history(of session: SessionID, in context: ContextID, limit: Int) -> [Message] {
        guard limit > 0 else { return [] }
        return Array(
            messages.filter { $0.sessionID == session && $0.contextID == context && !superseded.contains($0.id) }
                .suffix(limit))
    }

    package func supersede(from message: MessageID, in context: ContextID) throws -> Int {
        guard let start = messages.firstIndex(where: { $0.id == message && $0.contextID == context }) else {
            throw StoreError.notFound("message \(message)")
        }
        let session = messages[start].sessionID
        // `messages` is in append order, which is (created_at, id) order as in the SQL store.
        let marked = messages[start...].filter { $0.sessionID == session && !superseded.contains($0.id) }
        superseded.formUnion(marked.map(\.id))
        return marked.count
    }

    private func requireConversation(_ id: ConversationID, in context: ContextID) throws {
        guard let conversation = conversations[id], conversation.contextID == context else {
            throw StoreError.notFound("conversation \(id)")
        }
    }
}
