package import Foundation

/// A message to append; the store assigns the ID and time.
package struct NewMessage: Sendable, Equatable {
    package var sessionID: SessionID
    package var role: Role
    package var content: String
    package var toolData: String?
    package var usage: TokenUsage?
    package var status: MessageStatus

    package init(
        sessionID: SessionID, role: Role, content: String, toolData: String? = nil,
        usage: TokenUsage? = nil, status: MessageStatus = .complete
    ) {
        self.sessionID = sessionID
        self.role = role
        self.content = content
        self.toolData = toolData
        self.usage = usage
        self.status = status
    }
}

/// Conversations, sessions and messages of one tenant at a time.
///
/// Every method takes the ``ContextID`` it acts in; a row of another context is never read,
/// changed or revealed (it is reported as not found).
package protocol ConversationStore: Sendable {
    /// The conversation for `(platform, platformID)` in `context`, created on first use.
    ///
    /// Throws ``StoreError/conflict(_:)`` when the pair belongs to another context.
    func conversation(in context: ContextID, platform: String, platformID: String) async throws
        -> Conversation

    /// The newest session of a conversation, created when it has none.
    func currentSession(of conversation: ConversationID, in context: ContextID) async throws -> Session

    /// ``conversation(in:platform:platformID:)`` and its ``currentSession(of:in:)`` together, as
    /// every turn starts: one query when both exist (SQL stores), each created on first use (SQL
    /// stores: with one more statement). Two first turns of one conversation at once end in one
    /// conversation and one session.
    ///
    /// When this call makes the session it also stores the turn's user message `firstMessage`
    /// (if any), in the same commit: a new conversation's first turn then commits once before
    /// its model call instead of twice. ``OpenedSession/firstMessage`` is the stored message, or
    /// `nil` when the session was found (or another turn made it): then the caller appends the
    /// message itself, as on any turn. Wrappers must forward `firstMessage`.
    ///
    /// With `outlineLimit` above 0 a found session comes with its ``outline(of:in:limit:)`` of
    /// that many messages (``OpenedSession/outline``), read in the same query by SQL stores: a
    /// turn that compares a client's resent thread then reads what it needs in one statement.
    ///
    /// Throws ``StoreError/conflict(_:)`` when the pair belongs to another context.
    func openSession(
        in context: ContextID, platform: String, platformID: String, firstMessage: String?, outlineLimit: Int
    ) async throws -> OpenedSession

    /// Starts a new session (what `/new` does); later history loads start from it.
    func startSession(of conversation: ConversationID, in context: ContextID) async throws -> Session

    /// Stores a message at the end of its session.
    func append(_ message: NewMessage, in context: ContextID) async throws -> Message

    /// The last `limit` messages of a session that are not superseded, oldest first.
    func history(of session: SessionID, in context: ContextID, limit: Int) async throws -> [Message]

    /// ``history(of:in:limit:)`` reduced to what a client's resent thread is compared with on
    /// every turn (``MessageOutline``): SQL stores read three columns instead of every one.
    func outline(of session: SessionID, in context: ContextID, limit: Int) async throws -> [MessageOutline]

    /// Marks `message` and every later message of its session as superseded (a client resent
    /// the thread with that part edited or regenerated). Superseded messages are kept (for the
    /// record and retention) but left out of ``history(of:in:limit:)``. Returns how many
    /// messages were marked; marking already superseded ones again changes nothing.
    ///
    /// Throws ``StoreError/notFound(_:)`` when the message is not in this context.
    @discardableResult
    func supersede(from message: MessageID, in context: ContextID) async throws -> Int
}

/// A stored message as ``ConversationStore/outline(of:in:limit:)`` reads it: its ID and role,
/// and its content only if it is a user message.
package struct MessageOutline: Sendable, Equatable {
    package var id: MessageID
    package var role: Role
    /// The content of a user message; `nil` for every other role.
    package var userContent: String?

    package init(id: MessageID, role: Role, userContent: String?) {
        self.id = id
        self.role = role
        self.userContent = userContent
    }

    /// `message`'s outline.
    package init(_ message: Message) {
        self.init(id: message.id, role: message.role, userContent: message.role == .user ? message.content : nil)
    }
}

/// What ``ConversationStore/openSession(in:platform:platformID:firstMessage:outlineLimit:)`` found or made.
package struct OpenedSession: Sendable, Equatable {
    package var conversation: Conversation
    package var session: Session
    /// `true` only when this call made the session, so it holds no messages yet and a turn need
    /// not read its history; `false` when it was found, or when the store cannot tell.
    package var isNew: Bool
    /// The user message stored with a new session
    /// (``ConversationStore/openSession(in:platform:platformID:firstMessage:outlineLimit:)``), if any.
    package var firstMessage: Message?
    /// The session's ``ConversationStore/outline(of:in:limit:)`` when it was asked for
    /// (`outlineLimit` above 0) and read with a found session; `nil` when it was not read (the
    /// caller reads it itself if it needs it) and for a session this call made (``isNew``).
    package var outline: [MessageOutline]?

    package init(
        conversation: Conversation, session: Session, isNew: Bool, firstMessage: Message? = nil,
        outline: [MessageOutline]? = nil
    ) {
        self.conversation = conversation
        self.session = session
        self.isNew = isNew
        self.firstMessage = firstMessage
        self.outline = outline
    }
}

extension ConversationStore {
    /// The outline of ``history(of:in:limit:)``, for stores that read whole messages anyway.
    package func outline(of session: SessionID, in context: ContextID, limit: Int) async throws -> [MessageOutline] {
        try await history(of: session, in: context, limit: limit).map(MessageOutline.init)
    }

    /// ``openSession(in:platform:platformID:firstMessage:outlineLimit:)`` without the outline.
    package func openSession(in context: ContextID, platform: String, platformID: String, firstMessage: String?)
        async throws -> OpenedSession
    {
        try await openSession(
            in: context, platform: platform, platformID: platformID, firstMessage: firstMessage, outlineLimit: 0)
    }

    /// ``openSession(in:platform:platformID:firstMessage:outlineLimit:)`` storing no message and
    /// reading no outline.
    package func openSession(in context: ContextID, platform: String, platformID: String) async throws
        -> OpenedSession
    {
        try await openSession(
            in: context, platform: platform, platformID: platformID, firstMessage: nil, outlineLimit: 0)
    }
}

/// Token usage that is not part of a stored message: Open WebUI's background task calls
/// (titles, tags, follow-ups), counted against the context they were made for.
package struct UsageRecord: Sendable, Equatable {
    package var contextID: ContextID
    /// The conversation the call belonged to, when known.
    package var conversationID: ConversationID?
    /// What the call was for, e.g. `task:title`.
    package var purpose: String
    package var usage: TokenUsage
    package var createdAt: Date

    package init(
        contextID: ContextID, conversationID: ConversationID? = nil, purpose: String, usage: TokenUsage,
        createdAt: Date
    ) {
        self.contextID = contextID
        self.conversationID = conversationID
        self.purpose = purpose
        self.usage = usage
        self.createdAt = createdAt
    }
}

/// Usage of model calls outside conversation turns, per context.
package protocol UsageStore: Sendable {
    /// Stores one record.
    func record(_ record: UsageRecord) async throws
    /// The summed usage of a context since `date` (all records, estimated or not), or `nil` when there is none.
    func total(in context: ContextID, since date: Date) async throws -> TokenUsage?
}

/// Readiness of a storage backend.
package protocol StoreHealth: Sendable {
    /// Runs a trivial query; throws when the store cannot answer.
    func ping() async throws
}

/// Why a store operation failed.
package enum StoreError: Error, Equatable, CustomStringConvertible {
    /// No such row in this context (it may exist in another; that is never revealed).
    case notFound(String)
    /// A unique key is already taken.
    case conflict(String)
    /// The value cannot be stored as given (bad name, bad email, …).
    case invalid(String)
    /// The database refused or failed the operation.
    case database(String)
    /// A migration could not be applied or reverted.
    case migration(String)

    package var description: String {
        switch self {
        case .notFound(let what): "not found: \(what)"
        case .conflict(let what): "conflict: \(what)"
        case .invalid(let what): "invalid: \(what)"
        case .database(let what): "database error: \(what)"
        case .migration(let what): "migration error: \(what)"
        }
    }
}
