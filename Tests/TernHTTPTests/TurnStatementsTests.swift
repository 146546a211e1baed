import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import HummingbirdTesting
import TernStore
import TernTesting
import Testing
import TernCore

/// How many SQL statements a chat turn costs once caches are warm (issue: one fast turn path):
/// a stored API key, a context whose tools are offered, 20 messages of history sent by the
/// client, the same conversation each time. The statements are those the store logs at debug,
/// on SQLite and (with `TERN_TEST_POSTGRES_URL`) on PostgreSQL.
@Suite(.timeLimit(.minutes(1))) struct TurnStatementsTests {
    static func body(_ text: String) -> ByteBuffer {
        var messages: [String] = []
        for i in 0..<10 {
            messages.append(#"{"role":"user","content":"question \#(i)"}"#)
            messages.append(#"{"role":"assistant","content":"answer \#(i)"}"#)
        }
        messages.append(#"{"role":"user","content":"\#(text)"}"#)
        return ByteBuffer(string: #"{"model":"tern","messages":[\#(messages.joined(separator: ","))]}"#)
    }

    /// The statements of the turns `measure` sends after two warm-up turns in conversation
    /// "steady" (each turn answered "ok"); `send` posts `body` in the named conversation.
    static func statements(
        on backend: TurnBackend = .sqlite,
        _ measure:
            @Sendable (_ send: (_ conversation: String, _ body: ByteBuffer) async throws -> Void) async throws
            -> Void
    ) async throws -> [String] {
        let log = SQLStatementLog()
        let measured = SQLStatementLog()
        let clock = try EchoTool("clock", risk: .read)
        // Caches that never age out here: a loaded machine may take longer than their 5 s between
        // the warm-up turns and the measured one, and the count must not depend on time.
        try await backend.withDatabaseURL { databaseURL in
            try await Harness.run(
                tools: [clock], environment: databaseURL.map { ["TERN_DATABASE_URL": $0] } ?? [:],
                databaseLogger: log.logger(), cacheMaxAge: .seconds(3600)
            ) {
                harness, client throws in
                let (_, secret) = try await harness.keys.createKey(for: .localUser, context: nil, name: "bench")
                let send = { (conversation: String, body: ByteBuffer) in
                    var headers = IdentityTests.headers(bearer: secret, ["X-Tern-Conversation-Id": conversation])
                    headers[.accept] = "application/json"
                    harness.fake?.enqueue(.content("ok"))
                    let response = try await client.execute(
                        uri: "/v1/chat/completions", method: .post, headers: headers, body: body)
                    #expect(response.status == .ok)
                }
                for text in ["warm", "warm again"] { try await send("steady", Self.body(text)) }
                _ = log.drain()
                try await measure(send)
                for statement in log.drain() where !SQLStatementLog.isBackground(statement) { measured.record(statement) }
            }
        }
        return measured.drain()
    }

    static let transactionControl: Set<String> = ["BEGIN", "COMMIT", "BEGIN IMMEDIATE", "ROLLBACK"]

    /// Memory's recall (issue 18), counted on its own: it runs beside the toolbox load, before
    /// the model call, in `memories`/`memory_settings` (and their full-text index) only.
    static func isMemoryRecall(_ sql: String) -> Bool { sql.contains("memor") }

    /// Fails above `limit` statements besides memory's recall (which may run at most 2: the
    /// context's settings and the keyword search; an embedding model adds the vector search),
    /// BEGIN and COMMIT counted; the user message and the answer must be one `INSERT INTO
    /// messages` each.
    static func check(_ statements: [String], atMost limit: Int, _ turn: String) {
        let recall = statements.filter(isMemoryRecall)
        #expect(recall.count <= 2, "memory recall: \(recall.joined(separator: "\n"))")
        let statements = statements.filter { !isMemoryRecall($0) }
        let listing = "\(statements.count) statements in \(turn):\n\(statements.joined(separator: "\n"))"
        #expect(statements.count <= limit, "\(listing)")
        #expect(!statements.contains { transactionControl.contains($0.trimmed) }, "no explicit transaction: \(listing)")
        let inserts = statements.filter { $0.trimmed.hasPrefix("INSERT INTO messages") }
        #expect(inserts.count == 2, "the user message and the answer, one statement each: \(listing)")
    }

    /// The conversation joined to its session; the stored thread the client's is compared with,
    /// read with it (on PostgreSQL in the same query: three statements there); the user message;
    /// the answer.
    @Test(arguments: TurnBackend.allCases)
    func aSteadyStateTurn_runsAtMostFourStatements_noTransaction(_ backend: TurnBackend) async throws {
        let statements = try await Self.statements(on: backend) { send in
            try await send("steady", Self.body("measured"))
        }
        Self.check(statements, atMost: backend == .postgres ? 3 : 4, "a steady-state turn on \(backend)")
        let reads = statements.filter { $0.contains("superseded_at IS NULL") }
        #expect(reads.count == 1, "the stored thread, read once: \(statements.joined(separator: "\n"))")
    }

    /// The conversation joined to its session (nothing found); the conversation, its session and
    /// the user message made in one transaction of SQLite's writer (PostgreSQL: one statement,
    /// three in the turn), so **one commit before the model call**; the answer. The new
    /// session's history is not read.
    @Test(arguments: TurnBackend.allCases)
    func aTurnThatOpensAConversation_commitsOnceBeforeTheModelCall(_ backend: TurnBackend) async throws {
        let all = try await Self.statements(on: backend) { send in try await send("brand-new", Self.body("first")) }
        let recall = all.filter(Self.isMemoryRecall)
        #expect(recall.count <= 2, "memory recall: \(recall.joined(separator: "\n"))")
        let statements = all.filter { !Self.isMemoryRecall($0) }
        let listing = "\(statements.count) statements in a new-conversation turn on \(backend):\n\(statements.joined(separator: "\n"))"
        let control = statements.filter { Self.transactionControl.contains($0.trimmed) }
        #expect(statements.count - control.count <= 5, "\(listing)")
        #expect(statements.count <= 7, "\(listing)")
        if backend == .postgres {
            // The lookup, one statement making the conversation, session and user message, the answer.
            #expect(statements.count == 3 && control.isEmpty, "\(listing)")
        }
        // On PostgreSQL the lookup itself asks for the stored thread (and finds no session); no
        // other statement reads it.
        let threadReads = statements.filter { $0.contains("superseded_at IS NULL") }
        #expect(
            threadReads.count == (backend == .postgres ? 1 : 0)
                && threadReads.allSatisfy { $0.contains("FROM conversations") },
            "a new session's history is not read: \(listing)")
        // The answer is the last message insert; everything before it ran before the model call.
        let answer = try #require(statements.lastIndex { $0.trimmed.hasPrefix("INSERT INTO messages") }, "\(listing)")
        #expect(Self.commits(in: statements[..<answer]) == 1, "one commit before the model call: \(listing)")
        let userMessages = statements[..<answer].filter { $0.contains("INSERT INTO messages") }
        #expect(userMessages.count == 1, "the user message, once: \(listing)")
    }

    /// The commits a run of statements makes: each `COMMIT`, and each write outside
    /// `BEGIN`…`COMMIT` (autocommit).
    static func commits(in statements: ArraySlice<String>) -> Int {
        var (commits, inTransaction) = (0, false)
        for statement in statements.map(\.trimmed) {
            if statement.hasPrefix("BEGIN") {
                inTransaction = true
            } else if statement == "COMMIT" {
                (commits, inTransaction) = (commits + 1, false)
            } else if !inTransaction, ["INSERT", "UPDATE", "DELETE", "WITH"].contains(where: statement.hasPrefix),
                statement.contains("INSERT") || statement.contains("UPDATE") || statement.contains("DELETE")
            {
                commits += 1
            }
        }
        return commits
    }

    /// A regenerate (the thread resent without the stored last answer) marks the stored tail in
    /// one `UPDATE`, without looking the message up first: the join, the stored thread, the
    /// `UPDATE`, the user message, the answer.
    @Test(arguments: TurnBackend.allCases)
    func aRegenerateTurn_supersedesInOneStatement_noTransaction(_ backend: TurnBackend) async throws {
        let statements = try await Self.statements(on: backend) { send in
            // The client's thread as Tern stored it: the two warm-up turns, then a regenerate of the second.
            let thread = [("user", "warm"), ("assistant", "ok"), ("user", "warm again")]
            let messages = thread.map { #"{"role":"\#($0.0)","content":"\#($0.1)"}"# }.joined(separator: ",")
            try await send("steady", ByteBuffer(string: #"{"model":"tern","messages":[\#(messages)]}"#))
        }
        Self.check(statements, atMost: backend == .postgres ? 4 : 5, "a regenerate turn on \(backend)")
        let updates = statements.filter { $0.trimmed.hasPrefix("UPDATE messages SET superseded_at") }
        #expect(updates.count == 1, "\(statements.joined(separator: "\n"))")
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
