import Foundation
import SQLKit
package import TernCore

/// ``ConversationStore`` on SQLKit; the same queries serve SQLite and PostgreSQL.
package struct SQLConversationStore: ConversationStore {
    /// Where the rows live.
    let database: any DatabaseHandle
    /// Times for `created_at` and `superseded_at`.
    let clock: MonotonicMicroseconds
    /// New row IDs.
    let makeID: @Sendable () -> String

    /// - Parameters:
    ///   - clock: the time source for `created_at`; stored times never go backwards.
    ///   - makeID: new row IDs (random UUIDs unless a test injects its own).
    package init(
        database: any DatabaseHandle, clock: any WallClock = SystemWallClock(),
        makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.database = database
        self.clock = MonotonicMicroseconds(clock: clock)
        self.makeID = makeID
    }

    package func conversation(in context: ContextID, platform: String, platformID: String)
        async throws -> Conversation
    {
        if let existing = try await findConversation(platform: platform, platformID: platformID) {
            return try owned(existing, by: context, platform: platform)
        }
        let id = makeID()
        let now = clock.next()
        try await mapErrors {
            try await database.write { db in
                try await db.insert(into: "conversations")
                    .columns("id", "context_id", "platform", "platform_id", "created_at")
                    .values(
                        SQLBind(id), SQLBind(context.rawValue), SQLBind(platform),
                        SQLBind(platformID), SQLBind(now)
                    )
                    .ignoringConflicts(with: ["platform", "platform_id"])
                    .run()
            }
        }
        // Another request may have created it first; whichever row won is the conversation.
        guard let stored = try await findConversation(platform: platform, platformID: platformID, onWriter: true)
        else {
            throw StoreError.database("conversation \(platform)/\(platformID) vanished after insert")
        }
        return try owned(stored, by: context, platform: platform)
    }

    package func currentSession(of conversation: ConversationID, in context: ContextID) async throws
        -> Session
    {
        if let session = try await newestSession(of: conversation, in: context) {
            return session
        }
        let id = makeID()
        let now = clock.next()
        return try await mapErrors {
            try await database.transaction { [dialect = database.dialect] db in
                // Two first turns at once must not both create a session: lock the conversation
                // row (PostgreSQL; SQLite already runs one write transaction at a time).
                try await Self.requireConversation(db, conversation, context, lock: dialect == .postgres)
                if let session = try await Self.newestSession(db, conversation, context) {
                    return session
                }
                try await Self.insertSession(db, id: id, conversation: conversation, context: context, at: now)
                return Session(
                    id: SessionID(id), conversationID: conversation, contextID: context,
                    createdAt: Date(microsecondsSince1970: now))
            }
        }
    }

    package func startSession(of conversation: ConversationID, in context: ContextID) async throws
        -> Session
    {
        let id = makeID()
        let now = clock.next()
        return try await mapErrors {
            try await database.transaction { db in
                try await Self.requireConversation(db, conversation, context)
                try await Self.insertSession(db, id: id, conversation: conversation, context: context, at: now)
                return Session(
                    id: SessionID(id), conversationID: conversation, contextID: context,
                    createdAt: Date(microsecondsSince1970: now))
            }
        }
    }

    package func append(_ message: NewMessage, in context: ContextID) async throws -> Message {
        let id = makeID()
        let now = clock.next()
        // One guarded statement: the row is inserted only if the session belongs to `context`
        // (nothing is returned otherwise). Casts give PostgreSQL the types of NULL binds.
        let usage = message.usage
        let inserted = try await mapErrors {
            try await database.write { db in
                try await db.raw(
                    """
                    INSERT INTO messages (id, session_id, context_id, role, content, tool_data, prompt_tokens,
                        completion_tokens, total_tokens, usage_estimated, status, created_at)
                    SELECT \(bind: id), s.id, s.context_id, \(bind: message.role.rawValue), \(bind: message.content),
                        CAST(\(bind: message.toolData) AS TEXT), CAST(\(bind: usage?.promptTokens) AS INTEGER),
                        CAST(\(bind: usage?.completionTokens) AS INTEGER), CAST(\(bind: usage?.totalTokens) AS INTEGER),
                        CAST(\(bind: usage.map { $0.estimated ? 1 : 0 }) AS INTEGER), \(bind: message.status.rawValue),
                        \(bind: now)
                    FROM sessions s WHERE s.id = \(bind: message.sessionID.rawValue) AND s.context_id = \(bind: context.rawValue)
                    RETURNING id
                    """
                ).first()
            }
        }
        guard inserted != nil else { throw StoreError.notFound("session \(message.sessionID)") }
        return Message(
            id: MessageID(id), sessionID: message.sessionID, contextID: context, role: message.role,
            content: message.content, toolData: message.toolData, usage: message.usage,
            status: message.status, createdAt: Date(microsecondsSince1970: now))
    }

    package func history(of session: SessionID, in context: ContextID, limit: Int) async throws
        -> [Message]
    {
        guard limit > 0 else { return [] }
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.select().columns("*").from("messages")
                    .where("session_id", .equal, SQLBind(session.rawValue))
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .where("superseded_at", .is, SQLLiteral.null)
                    .orderBy("created_at", .descending)
                    .orderBy("id", .descending)
                    .limit(limit)
                    .all()
            }
        }
        return try rows.reversed().map(Self.decodeMessage)
    }

    package func outline(of session: SessionID, in context: ContextID, limit: Int) async throws
        -> [MessageOutline]
    {
        guard limit > 0 else { return [] }
        return try await mapErrors {
            try await database.read { db in try await Self.outlineRows(db, of: session, in: context, limit: limit) }
        }
    }

    /// ``outline(of:in:limit:)``'s statement, on `db`.
    static func outlineRows(_ db: any SQLDatabase, of session: SessionID, in context: ContextID, limit: Int)
        async throws -> [MessageOutline]
    {
        let rows = try await db.raw(
            """
            SELECT id, role, CASE WHEN role = 'user' THEN content END AS user_content FROM messages
            WHERE session_id = \(bind: session.rawValue) AND context_id = \(bind: context.rawValue)
                AND superseded_at IS NULL
            ORDER BY created_at DESC, id DESC LIMIT \(bind: limit)
            """
        ).all()
        return try rows.reversed().map { row in
            let role = try row.decode(column: "role", as: String.self)
            return MessageOutline(
                id: MessageID(try row.decode(column: "id", as: String.self)),
                role: try Role(rawValue: role).unwrap("unknown role \(role) in messages"),
                userContent: try row.decodeOptional(column: "user_content", as: String.self))
        }
    }

    // MARK: - Helpers

    private func findConversation(platform: String, platformID: String, onWriter: Bool = false)
        async throws -> Conversation?
    {
        let query: @Sendable (any SQLDatabase) async throws -> (any SQLRow)? = { db in
            try await db.select().columns("*").from("conversations")
                .where("platform", .equal, SQLBind(platform))
                .where("platform_id", .equal, SQLBind(platformID))
                .first()
        }
        let row = try await mapErrors {
            onWriter ? try await database.write(query) : try await database.read(query)
        }
        return try row.map(Self.decodeConversation)
    }

    func owned(_ conversation: Conversation, by context: ContextID, platform: String) throws
        -> Conversation
    {
        guard conversation.contextID == context else {
            throw StoreError.conflict(
                "conversation id is already used in another context on platform \(platform)")
        }
        return conversation
    }

    private func newestSession(of conversation: ConversationID, in context: ContextID) async throws -> Session? {
        try await mapErrors {
            try await database.read { db in try await Self.newestSession(db, conversation, context) }
        }
    }

    private static func newestSession(
        _ db: any SQLDatabase, _ conversation: ConversationID, _ context: ContextID
    ) async throws -> Session? {
        let row = try await db.select().columns("*").from("sessions")
            .where("conversation_id", .equal, SQLBind(conversation.rawValue))
            .where("context_id", .equal, SQLBind(context.rawValue))
            .orderBy("created_at", .descending)
            .limit(1)
            .first()
        return try row.map(decodeSession)
    }

    /// Throws ``StoreError/notFound(_:)`` unless `conversation` belongs to `context`; with `lock`,
    /// holds its row until the transaction ends (PostgreSQL only).
    static func requireConversation(
        _ db: any SQLDatabase, _ conversation: ConversationID, _ context: ContextID, lock: Bool = false
    ) async throws {
        var query = db.select().column("id").from("conversations")
            .where("id", .equal, SQLBind(conversation.rawValue))
            .where("context_id", .equal, SQLBind(context.rawValue))
        if lock { query = query.for(.update) }
        let row = try await query.first()
        if row == nil { throw StoreError.notFound("conversation \(conversation)") }
    }

    static func insertSession(
        _ db: any SQLDatabase, id: String, conversation: ConversationID, context: ContextID, at time: Int64
    ) async throws {
        try await db.insert(into: "sessions")
            .columns("id", "conversation_id", "context_id", "created_at")
            .values(SQLBind(id), SQLBind(conversation.rawValue), SQLBind(context.rawValue), SQLBind(time))
            .run()
    }
}

extension Optional {
    func unwrap(_ problem: @autoclosure () -> String) throws -> Wrapped {
        guard let value = self else { throw StoreError.database(problem()) }
        return value
    }
}
