package import Foundation
import SQLKit
package import TernCore

extension SQLPortalQueries {
    /// Four statements: the counts (one; messages only since `since`), the latest answers, the
    /// latest unfinished answers, and tokens per day from `messages` and `usage_records` (model
    /// calls outside turns) together. Messages are read through indexes only (migration 15).
    package func dashboard(contexts: Set<ContextID>?, since: Date) async throws -> PortalDashboard {
        if let contexts, contexts.isEmpty {
            return PortalDashboard(
                users: 0, contexts: 0, conversations: 0, messages: 0, pendingApprovals: 0, recentTurns: [],
                unfinishedTurns: [], usageByDay: [])
        }
        let start = since.microsecondsSince1970
        let users: SQLQueryString =
            contexts == nil
            ? "(SELECT COUNT(*) FROM users)"
            : "(SELECT COUNT(DISTINCT m.user_id) FROM context_members m WHERE \(Self.scope("m.context_id", contexts)))"
        let counts: SQLQueryString = """
            SELECT \(users) AS users,
                (SELECT COUNT(*) FROM contexts c WHERE \(Self.scope("c.id", contexts))) AS contexts,
                (SELECT COUNT(*) FROM conversations v WHERE \(Self.scope("v.context_id", contexts))) AS conversations,
                (SELECT COUNT(*) FROM messages g WHERE g.created_at >= \(bind: start)
                    AND \(Self.scope("g.context_id", contexts))) AS messages,
                (SELECT COUNT(*) FROM approvals a WHERE a.status = 'pending' AND \(Self.scope("a.context_id", contexts)))
                    AS pending
            """
        let day: Int64 = 86_400_000_000
        let usage: SQLQueryString = """
            SELECT t.day, CAST(SUM(t.tokens) AS BIGINT) AS tokens FROM (
                SELECT g.created_at / \(literal: day) AS day, g.total_tokens AS tokens FROM messages g
                WHERE g.created_at >= \(bind: start) AND g.total_tokens IS NOT NULL AND \(Self.scope("g.context_id", contexts))
                UNION ALL
                SELECT r.created_at / \(literal: day) AS day, r.total_tokens AS tokens FROM usage_records r
                WHERE r.created_at >= \(bind: start) AND \(Self.scope("r.context_id", contexts))
            ) t GROUP BY t.day ORDER BY t.day
            """
        let recent = Self.turns(contexts, unfinished: false)
        let unfinished = Self.turns(contexts, unfinished: true)
        let (countRow, recentRows, unfinishedRows, usageRows) = try await mapErrors {
            try await database.read { db in
                (
                    try await db.raw(counts).first(), try await db.raw(recent).all(), try await db.raw(unfinished).all(),
                    try await db.raw(usage).all()
                )
            }
        }
        let row = try countRow.unwrap("the dashboard's counts returned no row")
        return PortalDashboard(
            users: try row.decode(column: "users", as: Int.self), contexts: try row.decode(column: "contexts", as: Int.self),
            conversations: try row.decode(column: "conversations", as: Int.self),
            messages: try row.decode(column: "messages", as: Int.self),
            pendingApprovals: try row.decode(column: "pending", as: Int.self),
            recentTurns: try recentRows.map(Self.turnRow), unfinishedTurns: try unfinishedRows.map(Self.turnRow),
            usageByDay: try usageRows.map { row in
                PortalDailyUsage(day: try row.decode(column: "day", as: Int.self), tokens: try row.decode(column: "tokens", as: Int.self))
            })
    }

    /// The latest ten assistant answers (only unfinished ones with `unfinished`), newest first.
    static func turns(_ contexts: Set<ContextID>?, unfinished: Bool) -> SQLQueryString {
        let status: SQLQueryString = unfinished ? "AND g.status = 'incomplete'" : ""
        return """
            SELECT g.created_at, g.total_tokens, g.status, s.conversation_id, c.name AS context_name
            FROM messages g JOIN sessions s ON s.id = g.session_id JOIN contexts c ON c.id = g.context_id
            WHERE g.role = 'assistant' \(status) AND \(scope("g.context_id", contexts))
            ORDER BY g.created_at DESC LIMIT 10
            """
    }

    static func turnRow(_ row: any SQLRow) throws -> PortalTurnRow {
        PortalTurnRow(
            at: Date(microsecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            contextName: try row.decode(column: "context_name", as: String.self),
            conversationID: ConversationID(try row.decode(column: "conversation_id", as: String.self)),
            totalTokens: try row.decode(column: "total_tokens", as: Int?.self),
            complete: try row.decode(column: "status", as: String.self) == "complete")
    }
}
