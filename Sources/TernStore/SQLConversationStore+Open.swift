import Foundation
import SQLKit
package import TernCore

/// Opening a turn's conversation and session: one query when both exist, one more statement
/// (PostgreSQL) or two in one hold of the writer (SQLite) when the conversation is new.
extension SQLConversationStore {
    package func openSession(
        in context: ContextID, platform: String, platformID: String, firstMessage: String?, outlineLimit: Int
    ) async throws -> OpenedSession {
        let dialect = database.dialect
        let found = try await mapErrors {
            try await database.read { db in
                try await Self.findOpen(
                    db, platform: platform, platformID: platformID,
                    outline: outlineLimit > 0 ? (context, outlineLimit) : nil, dialect: dialect)
            }
        }
        if let found { return try await complete(found, in: context, platform: platform) }
        let now = clock.next()
        let conversation = Conversation(
            id: ConversationID(makeID()), contextID: context, platform: platform, platformID: platformID,
            createdAt: Date(microsecondsSince1970: now))
        let session = Session(
            id: SessionID(makeID()), conversationID: conversation.id, contextID: context,
            createdAt: conversation.createdAt)
        let message = firstMessage.map { content in
            let at = clock.next()
            return Message(
                id: MessageID(makeID()), sessionID: session.id, contextID: context, role: .user, content: content,
                toolData: nil, usage: nil, status: .complete, createdAt: Date(microsecondsSince1970: at))
        }
        if try await create(conversation, session, at: now, with: message) {
            return OpenedSession(conversation: conversation, session: session, isNew: true, firstMessage: message)
        }
        // Another turn created the conversation first (or the pair is another context's):
        // whichever rows won. Its session was stored with it, in the same statement or hold.
        let winner = try await mapErrors {
            try await database.write { db in
                try await Self.findOpen(db, platform: platform, platformID: platformID, dialect: dialect)
            }
        }
        guard let winner else {
            throw StoreError.database("conversation \(platform)/\(platformID) vanished after insert")
        }
        return try await complete(winner, in: context, platform: platform)
    }

    /// A conversation as the join found it, with its newest session when it has one.
    struct FoundConversation: Sendable {
        var conversation: Conversation
        var session: Session?
        /// The session's outline, when asked for and the session exists.
        var outline: [MessageOutline]?
    }

    /// The conversation of `(platform, platformID)` joined to its newest session, in one query.
    ///
    /// With `outline` (the caller's context and a limit) it also reads the newest session's
    /// outline (what ``outline(of:in:limit:)`` reads, only of messages in that context).
    /// PostgreSQL reads it in the same query, one round trip: one row per message, each
    /// repeating the conversation and session, or one row without a message when the session
    /// has none. SQLite runs the outline's own statement after the join on the same connection:
    /// there a statement costs no round trip, and the combined query cost SQLite more than the
    /// two (its CTE and subquery are materialized; docs/benchmarks.md).
    static func findOpen(
        _ db: any SQLDatabase, platform: String, platformID: String, outline: (ContextID, Int)? = nil,
        dialect: SQLDialectKind
    ) async throws -> FoundConversation? {
        let opened: SQLQueryString = """
            SELECT c.id AS c_id, c.context_id AS c_context_id, c.created_at AS c_created_at,
                s.id AS s_id, s.created_at AS s_created_at
            FROM conversations c
            LEFT JOIN sessions s ON s.conversation_id = c.id AND s.context_id = c.context_id
            WHERE c.platform = \(bind: platform) AND c.platform_id = \(bind: platformID)
            ORDER BY s.created_at DESC LIMIT 1
            """
        guard let (context, limit) = outline, dialect == .postgres else {
            guard let row = try await db.raw(opened).first() else { return nil }
            var found = try decodeOpen(row, platform: platform, platformID: platformID)
            if let (context, limit) = outline, let session = found.session {
                found.outline = try await outlineRows(db, of: session.id, in: context, limit: limit)
            }
            return found
        }
        // The messages' subquery is evaluated once (its session comes from the one-row `o`); the
        // outer join keeps the conversation's row when the session has no message.
        let rows = try await db.raw(
            """
            WITH o AS (\(opened))
            SELECT o.c_id, o.c_context_id, o.c_created_at, o.s_id, o.s_created_at,
                t.id AS m_id, t.role AS m_role, t.user_content AS m_user_content
            FROM o LEFT JOIN (
                SELECT m.id, m.role, CASE WHEN m.role = 'user' THEN m.content END AS user_content, m.created_at
                FROM messages m
                WHERE m.session_id = (SELECT s_id FROM o) AND m.context_id = \(bind: context.rawValue)
                    AND m.superseded_at IS NULL
                ORDER BY m.created_at DESC, m.id DESC LIMIT \(bind: limit)
            ) t ON 1 = 1
            ORDER BY t.created_at DESC, t.id DESC
            """
        ).all()
        guard let first = rows.first else { return nil }
        var found = try decodeOpen(first, platform: platform, platformID: platformID)
        guard found.session != nil else { return found }
        found.outline = try rows.reversed().compactMap { row in
            // `decodeOptional`, not `String?`: the drivers decode `String` columns directly.
            guard let id = try row.decodeOptional(column: "m_id", as: String.self) else { return nil }
            let role = try row.decode(column: "m_role", as: String.self)
            return MessageOutline(
                id: MessageID(id), role: try Role(rawValue: role).unwrap("unknown role \(role) in messages"),
                userContent: try row.decodeOptional(column: "m_user_content", as: String.self))
        }
        return found
    }

    /// The conversation and newest session of a ``findOpen(_:platform:platformID:outline:)`` row.
    private static func decodeOpen(_ row: any SQLRow, platform: String, platformID: String) throws
        -> FoundConversation
    {
        let conversation = Conversation(
            id: ConversationID(try row.decode(column: "c_id", as: String.self)),
            contextID: ContextID(try row.decode(column: "c_context_id", as: String.self)),
            platform: platform, platformID: platformID,
            createdAt: Date(microsecondsSince1970: try row.decode(column: "c_created_at", as: Int64.self)))
        guard let sessionID = try row.decode(column: "s_id", as: String?.self),
            let sessionCreated = try row.decode(column: "s_created_at", as: Int64?.self)
        else { return FoundConversation(conversation: conversation, session: nil) }
        let session = Session(
            id: SessionID(sessionID), conversationID: conversation.id, contextID: conversation.contextID,
            createdAt: Date(microsecondsSince1970: sessionCreated))
        return FoundConversation(conversation: conversation, session: session)
    }

    /// A found conversation of `context` with its session; one is made when it has none (a
    /// conversation a task call named, or one stored before sessions came with it).
    private func complete(_ found: FoundConversation, in context: ContextID, platform: String) async throws
        -> OpenedSession
    {
        let conversation = try owned(found.conversation, by: context, platform: platform)
        if let session = found.session {
            return OpenedSession(conversation: conversation, session: session, isNew: false, outline: found.outline)
        }
        let session = try await currentSession(of: conversation.id, in: context)
        return OpenedSession(conversation: conversation, session: session, isNew: false)
    }

    /// Stores `conversation`, its first `session` and the turn's first `message`, if any, unless
    /// the pair `(platform, platformID)` is taken; `false` when it was. All rows or none become
    /// visible to other turns, in one commit: PostgreSQL inserts them in one statement (a
    /// concurrent insert of the pair waits for it and then does nothing), SQLite in one
    /// transaction of its single writer.
    private func create(_ conversation: Conversation, _ session: Session, at time: Int64, with message: Message?)
        async throws -> Bool
    {
        let id = conversation.id.rawValue
        let context = conversation.contextID.rawValue
        let insertConversation: SQLQueryString = """
            INSERT INTO conversations (id, context_id, platform, platform_id, created_at)
            VALUES (\(bind: id), \(bind: context), \(bind: conversation.platform), \(bind: conversation.platformID),
                \(bind: time))
            ON CONFLICT (platform, platform_id) DO NOTHING RETURNING id
            """
        return try await mapErrors {
            switch database.dialect {
            case .postgres:
                try await database.write { db in
                    let insertSession: SQLQueryString = """
                        INSERT INTO sessions (id, conversation_id, context_id, created_at)
                        SELECT \(bind: session.id.rawValue), c.id, \(bind: context), \(bind: time) FROM c
                        RETURNING id
                        """
                    guard let message else {
                        return try await db.raw("WITH c AS (\(insertConversation)) \(insertSession)").first() != nil
                    }
                    return try await db.raw(
                        """
                        WITH c AS (\(insertConversation)), s AS (\(insertSession))
                        \(Self.insertFirstMessage(message, from: "s"))
                        """
                    ).first() != nil
                }
            case .sqlite:
                try await database.transaction { db in
                    guard try await db.raw(insertConversation).first() != nil else { return false }
                    try await Self.insertSession(
                        db, id: session.id.rawValue, conversation: conversation.id, context: conversation.contextID,
                        at: time)
                    if let message {
                        let row = try await db.raw(
                            """
                            WITH s AS (SELECT \(bind: session.id.rawValue) AS id)
                            \(Self.insertFirstMessage(message, from: "s"))
                            """
                        ).first()
                        guard row != nil else { throw StoreError.database("the first message of \(session.id) was not stored") }
                    }
                    return true
                }
            }
        }
    }

    /// `INSERT INTO messages … SELECT … FROM <source>`: the user message `message`, in the
    /// session whose id the one-row `source` (a CTE) yields.
    static func insertFirstMessage(_ message: Message, from source: String) -> SQLQueryString {
        """
        INSERT INTO messages (id, session_id, context_id, role, content, status, created_at)
        SELECT \(bind: message.id.rawValue), \(unsafeRaw: source).id, \(bind: message.contextID.rawValue),
            \(bind: message.role.rawValue), \(bind: message.content), \(bind: message.status.rawValue),
            \(bind: message.createdAt.microsecondsSince1970) FROM \(unsafeRaw: source)
        RETURNING id
        """
    }
}
