import Foundation
import SQLKit
package import TernCore

/// ``ConversationBrowser`` on SQLKit; the same statements serve SQLite and PostgreSQL.
///
/// A list page is one statement whatever its length: the page's conversations are picked by
/// keyset on `(created_at, id)` (never `OFFSET`), and their context names, message counts,
/// token sums, titles and starters are joined onto that page only. A transcript is three
/// statements (summary, messages, approvals).
package struct SQLConversationBrowser: ConversationBrowser {
    private let database: any DatabaseHandle

    package init(database: any DatabaseHandle) {
        self.database = database
    }

    package func search(_ search: ConversationSearch) async throws -> KeysetPage<ConversationSummary> {
        if let contexts = search.contexts, contexts.isEmpty { return KeysetPage(rows: [], next: nil) }
        let limit = max(1, min(search.limit, 500))
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.raw(Self.listQuery(Self.filters(search), limit: limit + 1)).all()
            }
        }
        let summaries = try rows.prefix(limit).map(Self.decodeSummary)
        let next =
            rows.count > limit
            ? summaries.last.map {
                PortalTimeCursor(at: $0.conversation.createdAt.microsecondsSince1970, id: $0.conversation.id.rawValue).token
            } : nil
        return KeysetPage(rows: summaries, next: next)
    }

    package func transcript(of id: ConversationID, in contexts: Set<ContextID>?) async throws
        -> ConversationTranscript?
    {
        if let contexts, contexts.isEmpty { return nil }
        var filters = Self.filters(ConversationSearch(contexts: contexts))
        filters.append("c.id = \(bind: id.rawValue)")
        let query = Self.listQuery(filters, limit: 1)
        let found = try await mapErrors { try await database.read { db in try await db.raw(query).first() } }
        guard let found else { return nil }
        let summary = try Self.decodeSummary(found)
        let context = summary.conversation.contextID.rawValue
        let (messageRows, approvalRows) = try await mapErrors {
            try await database.read { db in
                let messages = try await db.raw(
                    """
                    SELECT m.* FROM messages m JOIN sessions s ON s.id = m.session_id
                    WHERE s.conversation_id = \(bind: id.rawValue) AND m.context_id = \(bind: context)
                    ORDER BY m.created_at, m.id
                    """
                ).all()
                let approvals = try await db.select().columns("*").from("approvals")
                    .where("conversation_id", .equal, SQLBind(id.rawValue))
                    .where("context_id", .equal, SQLBind(context))
                    .orderBy("created_at").orderBy("id")
                    .all()
                return (messages, approvals)
            }
        }
        let messages = try messageRows.map { row in
            TranscriptMessage(
                message: try SQLConversationStore.decodeMessage(row),
                superseded: try row.decode(column: "superseded_at", as: Int64?.self) != nil)
        }
        return ConversationTranscript(
            summary: summary, messages: messages, approvals: try approvalRows.map(SQLApprovalStore.decode))
    }

    package func delete(_ id: ConversationID, in context: ContextID) async throws -> Bool {
        try await mapErrors {
            try await database.write { db in
                try await db.delete(from: "conversations")
                    .where("id", .equal, SQLBind(id.rawValue))
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .returning("id")
                    .all()
                    .count > 0
            }
        }
    }
}
