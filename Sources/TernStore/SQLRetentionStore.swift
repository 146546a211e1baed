package import Foundation
import SQLKit
package import TernCore

/// ``RetentionStore`` on SQLKit, for SQLite and PostgreSQL alike.
package struct SQLRetentionStore: RetentionStore {
    private let database: any DatabaseHandle

    package init(database: any DatabaseHandle) {
        self.database = database
    }

    package func plan(olderThan cutoff: Date) async throws -> RetentionCounts {
        let time = cutoff.microsecondsSince1970
        // The same predicates a full run ends with: old messages; old sessions with no newer
        // message; old conversations with no session that survives.
        let row = try await mapErrors {
            try await database.read { db in
                try await db.raw(
                    """
                    SELECT
                        (SELECT COUNT(*) FROM messages m WHERE m.created_at < \(bind: time)) AS messages,
                        (SELECT COUNT(*) FROM sessions s WHERE s.created_at < \(bind: time)
                            AND NOT EXISTS (SELECT 1 FROM messages m
                                WHERE m.session_id = s.id AND m.created_at >= \(bind: time))) AS sessions,
                        (SELECT COUNT(*) FROM conversations c WHERE c.created_at < \(bind: time)
                            AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.conversation_id = c.id
                                AND (s.created_at >= \(bind: time) OR EXISTS (SELECT 1 FROM messages m
                                    WHERE m.session_id = s.id AND m.created_at >= \(bind: time))))) AS conversations
                    """
                ).first()
            }
        }
        guard let row else { return RetentionCounts() }
        return RetentionCounts(
            messages: try row.decode(column: "messages", as: Int.self),
            sessions: try row.decode(column: "sessions", as: Int.self),
            conversations: try row.decode(column: "conversations", as: Int.self))
    }

    package func deleteBatch(olderThan cutoff: Date, batchSize: Int) async throws -> RetentionCounts {
        let time = cutoff.microsecondsSince1970
        let limit = max(1, batchSize)
        return try await mapErrors {
            try await database.transaction { db in
                let messages = try await Self.ids(
                    db, "SELECT id FROM messages WHERE created_at < \(time) ORDER BY created_at LIMIT \(limit)")
                try await Self.delete(db, from: "messages", ids: messages)
                let sessions = try await Self.ids(
                    db,
                    """
                    SELECT s.id FROM sessions s WHERE s.created_at < \(time)
                        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id) LIMIT \(limit)
                    """)
                try await Self.delete(db, from: "sessions", ids: sessions)
                let conversations = try await Self.ids(
                    db,
                    """
                    SELECT c.id FROM conversations c WHERE c.created_at < \(time)
                        AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.conversation_id = c.id) LIMIT \(limit)
                    """)
                try await Self.delete(db, from: "conversations", ids: conversations)
                return RetentionCounts(messages: messages.count, sessions: sessions.count, conversations: conversations.count)
            }
        }
    }

    /// `sql` only ever embeds integers computed above, never caller text.
    private static func ids(_ db: any SQLDatabase, _ sql: String) async throws -> [String] {
        try await db.raw(SQLQueryString(sql)).all().map { try $0.decode(column: "id", as: String.self) }
    }

    private static func delete(_ db: any SQLDatabase, from table: String, ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        try await db.delete(from: table).where("id", .in, ids).run()
    }
}
