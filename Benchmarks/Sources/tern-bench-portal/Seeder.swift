import Foundation
import SQLKit
import TernCore
import TernStore

/// Fills the store in one transaction, with direct SQL (seeding is reported, not benchmarked):
/// `contexts` contexts `team-NNNN-<topic>` with 1–5 members each (from a pool of users),
/// `conversations` conversations spread evenly over them, one minute apart (newest now), each
/// with one session and four messages (question, answer, follow-up, answer; answers carry
/// tokens, one in 500 is unfinished). One conversation in 100 mentions "zebra"; no message
/// contains "quokka".
struct PortalSeeder: Sendable {
    let contexts: Int
    let conversations: Int
    /// Microseconds since 1970 of the newest conversation.
    let now: Int64

    static let topics = ["billing", "deploy", "roadmap", "hiring", "support", "design", "legal", "travel", "metrics", "sales"]
    static let messagesPerConversation = 4

    var users: Int { max(10, contexts * 2) }

    func contextID(_ index: Int) -> String { "ctx-\(index)" }
    func contextName(_ index: Int) -> String { String(format: "team-%04d-", index) + Self.topics[index % Self.topics.count] }

    /// The id of conversation `index` (0 is the oldest).
    static func conversationID(_ index: Int) -> String { "conv-\(index)" }

    func seed(_ database: any DatabaseHandle) async throws {
        try await database.transaction { db in
            try await insertTenants(db)
            try await insertConversations(db)
        }
    }

    /// Users, contexts and memberships, 500 rows per statement.
    private func insertTenants(_ db: any SQLDatabase) async throws {
        for batch in stride(from: 0, to: users, by: 500) {
            let insert = db.insert(into: "users").columns("id", "email", "display_name", "role", "created_at")
            for index in batch..<min(users, batch + 500) {
                _ = insert.values(
                    SQLBind("user-\(index)"), SQLBind("user\(index)@bench.test"), SQLBind("User \(index)"), SQLBind("user"),
                    SQLBind(now))
            }
            try await insert.run()
        }
        for batch in stride(from: 0, to: contexts, by: 500) {
            let insert = db.insert(into: "contexts").columns("id", "name", "kind", "created_at")
            let members = db.insert(into: "context_members").columns("user_id", "context_id", "role", "is_default", "created_at")
            for index in batch..<min(contexts, batch + 500) {
                _ = insert.values(SQLBind(contextID(index)), SQLBind(contextName(index)), SQLBind("shared"), SQLBind(now))
                for member in 0..<(1 + index % 5) {
                    // 13 * member mod users differs for members 0...4 of one context: no duplicate pair.
                    let user = (index * 7 + member * 13) % users
                    _ = members.values(
                        SQLBind("user-\(user)"), SQLBind(contextID(index)), SQLBind(member == 0 ? "owner" : "member"),
                        SQLBind(0), SQLBind(now))
                }
            }
            try await insert.run()
            try await members.run()
        }
    }

    /// Conversations, sessions and messages, each table in one `INSERT … SELECT` over a counter:
    /// a recursive CTE of BIGINTs (so the times do not overflow PostgreSQL's integer), the same
    /// statement on SQLite and PostgreSQL.
    private func insertConversations(_ db: any SQLDatabase) async throws {
        let minute: Int64 = 60_000_000
        let first = now - Int64(conversations - 1) * minute
        let counter: SQLQueryString =
            "WITH RECURSIVE n(i) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < \(literal: conversations - 1))"
        let context: SQLQueryString = "'ctx-' || (n.i % \(literal: contexts))"
        let starter: SQLQueryString = "'user-' || ((n.i % \(literal: contexts)) * 7 % \(literal: users))"
        try await db.raw(
            """
            INSERT INTO conversations (id, context_id, platform, platform_id, created_at)
            \(counter)
            SELECT 'conv-' || n.i, \(context), 'openai', \(context) || '/' || \(starter) || '/' || n.i,
                \(literal: first) + n.i * \(literal: minute)
            FROM n
            """
        ).run()
        try await db.raw(
            """
            INSERT INTO sessions (id, conversation_id, context_id, created_at)
            \(counter)
            SELECT 'ses-' || n.i, 'conv-' || n.i, \(context), \(literal: first) + n.i * \(literal: minute) FROM n
            """
        ).run()
        let cases = Self.topics.enumerated().map { "WHEN \($0.offset) THEN '\($0.element)'" }.joined(separator: " ")
        let topic: SQLQueryString = "CASE n.i % \(literal: Self.topics.count) \(unsafeRaw: cases) END"
        try await db.raw(
            """
            INSERT INTO messages (id, session_id, context_id, role, content, total_tokens, status, created_at)
            \(counter)
            SELECT 'msg-' || n.i || '-' || k.k, 'ses-' || n.i, \(context),
                CASE k.k % 2 WHEN 0 THEN 'user' ELSE 'assistant' END,
                CASE k.k
                    WHEN 0 THEN 'Question ' || n.i || ' about ' || \(topic)
                        || CASE WHEN n.i % 100 = 7 THEN ': where is the zebra report?' ELSE ': what changed this week?' END
                    WHEN 1 THEN 'Here is what I found about ' || \(topic) || ' for request ' || n.i
                        || '. The numbers are in the usual place and nothing looks out of the ordinary.'
                    WHEN 2 THEN 'Thanks, and the follow-up on ' || \(topic) || '?'
                    ELSE 'The follow-up is scheduled; I will report back on ' || \(topic) || '.'
                END,
                CASE k.k % 2 WHEN 1 THEN 100 + n.i % 400 END,
                CASE WHEN k.k = 3 AND n.i % 500 = 3 THEN 'incomplete' ELSE 'complete' END,
                \(literal: first) + n.i * \(literal: minute) + k.k * 1000000
            FROM n CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) k
            """
        ).run()
    }
}
