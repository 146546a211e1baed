import Foundation
import SQLKit
import Testing
import TernCore
import TernStore

/// A conversation's transcript (every message in order, superseded ones flagged, its approvals)
/// and its deletion, scoped to the contexts the caller may see.
@Suite(.timeLimit(.minutes(1))) struct ConversationBrowserTranscriptTests {
    typealias Seed = ConversationBrowserTests

    static func addApproval(_ db: any DatabaseHandle, id: String, conversation: String, status: String) async throws {
        try await db.write { db in
            try await db.raw(
                """
                INSERT INTO approvals (id, context_id, conversation_id, requested_by, tool_name, arguments, status,
                    created_at, expires_at)
                VALUES (\(bind: id), \(bind: ContextID.defaultContext.rawValue), \(bind: conversation),
                    \(bind: UserID.localUser.rawValue), 'shell', '{}', \(bind: status), \(bind: Seed.start), \(bind: Seed.start + 10))
                """
            ).run()
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func transcript_hasEveryMessageInOrder_approvals_inThreeStatements(_ backend: SQLBackend) async throws {
        try await backend.withStore({ $0 }) { database, _ in
            try await Seed.seed(
                database, id: "c1", at: 0, messages: [(.user, "first", nil), (.assistant, "old answer", 5), (.assistant, "new answer", 7)])
            try await database.write { db in
                try await db.raw("UPDATE messages SET superseded_at = 1 WHERE id = 'c1-m1'").run()
                try await db.raw("UPDATE messages SET tool_data = '{\"route\":\"plan\"}' WHERE id = 'c1-m2'").run()
            }
            try await Self.addApproval(database, id: "ap1", conversation: "c1", status: "approved")
            try await Seed.seed(database, id: "c2", at: 1, messages: [(.user, "other", nil)])
            try await Self.addApproval(database, id: "ap2", conversation: "c2", status: "pending")
            let counting = CountingDatabase(database)
            let browser = SQLConversationBrowser(database: counting)
            let transcript = try #require(try await browser.transcript(of: "c1", in: nil))
            #expect(counting.statements == 3)
            #expect(transcript.messages.map(\.message.content) == ["first", "old answer", "new answer"])
            #expect(transcript.messages.map(\.superseded) == [false, true, false])
            #expect(transcript.messages.last?.message.toolData == "{\"route\":\"plan\"}")
            #expect(transcript.approvals.map(\.id) == ["ap1"] && transcript.approvals.first?.status == .approved)
            #expect(transcript.summary.totalTokens == 12 && transcript.summary.messageCount == 3)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func transcript_outsideTheCallersContexts_isAbsent(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLConversationBrowser(database: $0) }) { browser, database in
            try await Seed.seed(database, id: "b1", context: SQLBackend.contextB, at: 0, messages: [(.user, "secret plans", nil)])
            #expect(try await browser.transcript(of: "b1", in: [.defaultContext]) == nil)
            #expect(try await browser.transcript(of: "b1", in: []) == nil)
            #expect(try await browser.transcript(of: "nope", in: nil) == nil)
            #expect(try await browser.transcript(of: "b1", in: [SQLBackend.contextB])?.messages.count == 1)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func delete_removesTheConversationWithItsRows_onlyInItsContext(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLConversationBrowser(database: $0) }) { browser, database in
            try await Seed.seed(database, id: "c1", at: 0, messages: [(.user, "bye", nil), (.assistant, "ok", 3)])
            try await Self.addApproval(database, id: "ap1", conversation: "c1", status: "denied")
            try await Seed.seed(database, id: "c2", at: 1, messages: [(.user, "stay", nil)])
            #expect(try await browser.delete("c1", in: SQLBackend.contextB) == false)
            #expect(try await browser.transcript(of: "c1", in: nil)?.messages.count == 2)
            #expect(try await browser.delete("c1", in: .defaultContext))
            #expect(try await browser.delete("c1", in: .defaultContext) == false)
            #expect(try await browser.transcript(of: "c1", in: nil) == nil)
            let left = try await database.read { db in
                try await db.raw(
                    """
                    SELECT (SELECT COUNT(*) FROM messages) AS messages, (SELECT COUNT(*) FROM sessions) AS sessions,
                        (SELECT COUNT(*) FROM approvals) AS approvals
                    """
                ).first()
            }
            let row = try #require(left)
            #expect(try row.decode(column: "messages", as: Int.self) == 1)
            #expect(try row.decode(column: "sessions", as: Int.self) == 1)
            #expect(try row.decode(column: "approvals", as: Int.self) == 0)
        }
    }
}
