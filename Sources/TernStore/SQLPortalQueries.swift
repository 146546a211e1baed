package import Foundation
import SQLKit
package import TernCore

/// ``PortalQueries`` on SQLKit; the same statements serve SQLite and PostgreSQL. Lists pick
/// their page by keyset first and count only for that page's rows (one statement per list).
package struct SQLPortalQueries: PortalQueries {
    let database: any DatabaseHandle

    package init(database: any DatabaseHandle) {
        self.database = database
    }

    /// `column IN (…)` for a scope, or nothing for every context.
    static func scope(_ column: String, _ contexts: Set<ContextID>?) -> SQLQueryString {
        guard let contexts else { return "1 = 1" }
        return "\(unsafeRaw: column) IN (\(binds: contexts.map(\.rawValue).sorted()))"
    }

    /// `%text%` for `LIKE … ESCAPE '!'`, as ``SQLConversationBrowser/likePattern(_:)`` makes it.
    static func likePattern(_ text: String) -> String { SQLConversationBrowser.likePattern(text) }

    package func contexts(_ contexts: Set<ContextID>?, search: String?, after cursor: String?, limit: Int) async throws
        -> KeysetPage<ContextSummary>
    {
        if let contexts, contexts.isEmpty { return KeysetPage(rows: [], next: nil) }
        let limit = max(1, min(limit, 500))
        var filters: [SQLQueryString] = [Self.scope("c.id", contexts)]
        if let cursor { filters.append("c.name > \(bind: cursor)") }
        if let search = search?.trimmingCharacters(in: .whitespaces).lowercased(), !search.isEmpty {
            filters.append("c.name LIKE \(bind: Self.likePattern(search)) ESCAPE '!'")
        }
        let query: SQLQueryString = """
            WITH page AS (
                SELECT c.id, c.name, c.kind, c.created_at FROM contexts c
                WHERE \(filters.joined(separator: " AND "))
                ORDER BY c.name LIMIT \(literal: limit + 1)
            )
            SELECT page.*,
                (SELECT COUNT(*) FROM context_members m WHERE m.context_id = page.id) AS member_count,
                (SELECT COUNT(*) FROM conversations v WHERE v.context_id = page.id) AS conversation_count
            FROM page ORDER BY page.name
            """
        let rows = try await mapErrors { try await database.read { db in try await db.raw(query).all() } }
        let summaries = try rows.prefix(limit).map { row in
            ContextSummary(
                context: try SQLTenantStore.decodeContext(row),
                memberCount: try row.decode(column: "member_count", as: Int.self),
                conversationCount: try row.decode(column: "conversation_count", as: Int.self),
                // Not counted: it read every message of the page's contexts (400 each at 1,000
                // contexts / 100,000 conversations, most of the page's time).
                messageCount: nil)
        }
        return KeysetPage(rows: summaries, next: rows.count > limit ? summaries.last?.context.name : nil)
    }

    package func users(search: String?, after cursor: String?, limit: Int) async throws -> KeysetPage<PortalUserRow> {
        let limit = max(1, min(limit, 500))
        // The local user has no email; it sorts first as ''.
        var filters: [SQLQueryString] = ["1 = 1"]
        if let cursor { filters.append("COALESCE(u.email, '') || '/' || u.id > \(bind: cursor)") }
        if let search = search?.trimmingCharacters(in: .whitespaces).lowercased(), !search.isEmpty {
            let pattern = Self.likePattern(search)
            filters.append(
                "(COALESCE(u.email, '') LIKE \(bind: pattern) ESCAPE '!' OR lower(u.display_name) LIKE \(bind: pattern) ESCAPE '!')")
        }
        let query: SQLQueryString = """
            WITH page AS (
                SELECT u.*, COALESCE(u.email, '') || '/' || u.id AS sort_key FROM users u
                WHERE \(filters.joined(separator: " AND "))
                ORDER BY sort_key LIMIT \(literal: limit + 1)
            )
            SELECT page.*, (SELECT COUNT(*) FROM context_members m WHERE m.user_id = page.id) AS context_count
            FROM page ORDER BY page.sort_key
            """
        let rows = try await mapErrors { try await database.read { db in try await db.raw(query).all() } }
        let users = try rows.prefix(limit).map { row in
            (
                PortalUserRow(
                    user: try SQLTenantStore.decodeUser(row), contextCount: try row.decode(column: "context_count", as: Int.self)),
                try row.decode(column: "sort_key", as: String.self)
            )
        }
        return KeysetPage(rows: users.map(\.0), next: rows.count > limit ? users.last?.1 : nil)
    }

    package func pendingApprovals(_ contexts: Set<ContextID>?, limit: Int) async throws -> [PortalApprovalRow] {
        if let contexts, contexts.isEmpty { return [] }
        let query: SQLQueryString = """
            SELECT a.*, c.name AS context_name FROM approvals a JOIN contexts c ON c.id = a.context_id
            WHERE a.status = 'pending' AND \(Self.scope("a.context_id", contexts))
            ORDER BY a.created_at, a.id LIMIT \(literal: max(1, min(limit, 500)))
            """
        let rows = try await mapErrors { try await database.read { db in try await db.raw(query).all() } }
        return try rows.map(Self.approvalRow)
    }

    package func approvalHistory(_ contexts: Set<ContextID>?, before cursor: PortalTimeCursor?, limit: Int) async throws
        -> KeysetPage<PortalApprovalRow>
    {
        if let contexts, contexts.isEmpty { return KeysetPage(rows: [], next: nil) }
        let limit = max(1, min(limit, 500))
        var filters: [SQLQueryString] = ["a.status <> 'pending'", Self.scope("a.context_id", contexts)]
        if let cursor {
            filters.append(
                "a.created_at <= \(bind: cursor.at) AND (a.created_at < \(bind: cursor.at) OR (a.created_at = \(bind: cursor.at) AND a.id < \(bind: cursor.id)))"
            )
        }
        let query: SQLQueryString = """
            SELECT a.*, c.name AS context_name FROM approvals a JOIN contexts c ON c.id = a.context_id
            WHERE \(filters.joined(separator: " AND "))
            ORDER BY a.created_at DESC, a.id DESC LIMIT \(literal: limit + 1)
            """
        let rows = try await mapErrors { try await database.read { db in try await db.raw(query).all() } }
        let approvals = try rows.prefix(limit).map(Self.approvalRow)
        let next = approvals.last.map {
            PortalTimeCursor(at: $0.approval.createdAt.microsecondsSince1970, id: $0.approval.id.rawValue).token
        }
        return KeysetPage(rows: approvals, next: rows.count > limit ? next : nil)
    }

    static func approvalRow(_ row: any SQLRow) throws -> PortalApprovalRow {
        PortalApprovalRow(
            approval: try SQLApprovalStore.decode(row), contextName: try row.decode(column: "context_name", as: String.self))
    }
}
