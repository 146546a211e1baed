import Foundation
import SQLKit
import Testing
import TernCore
@testable import TernStore

/// PostgreSQL text cannot hold U+0000 (SQLSTATE 22021; `\u0000` in jsonb is 22P05). Storing it
/// is the caller's bad input, so the stores answer ``StoreError/invalid(_:)`` (a 400 at the HTTP
/// edge), not ``StoreError/database(_:)`` (a 500), and nothing is stored.
@Suite(.timeLimit(.minutes(1)), .enabled(if: PostgresTestServer.isAvailable))
struct PostgresNULTests {
    static let refusal = StoreError.invalid("text contains a NUL character, which cannot be stored")

    @Test func append_messageWithNUL_isInvalid_andStoresNothing() async throws {
        try await withTemporaryPostgres { database, _ in
            let store = SQLConversationStore(database: database)
            let session = try await store.openSession(in: .defaultContext, platform: "openai", platformID: "nul").session
            await #expect(throws: Self.refusal) {
                try await store.append(
                    NewMessage(sessionID: session.id, role: .user, content: "a\u{0}b"), in: .defaultContext)
            }
            #expect(try await store.history(of: session.id, in: .defaultContext, limit: 10).isEmpty)
            #expect(try await count("messages", in: database) == 0)
        }
    }

    @Test func transaction_withNULInALaterStatement_isInvalid_andRollsBackTheEarlierOnes() async throws {
        try await withTemporaryPostgres { database, _ in
            let before = try await count("contexts", in: database)
            await #expect(throws: Self.refusal) {
                try await database.transaction { db in
                    try await db.raw("INSERT INTO contexts (id, name, created_at) VALUES ('c1', 'fine', 0)").run()
                    try await db.raw(
                        "INSERT INTO contexts (id, name, created_at) VALUES ('c2', \(bind: "bad\u{0}name"), 0)"
                    ).run()
                }
            }
            #expect(try await count("contexts", in: database) == before)
        }
    }

    @Test func jsonbWithEscapedNUL_isInvalid() async throws {
        try await withTemporaryPostgres { database, _ in
            await #expect(throws: Self.refusal) {
                try await database.read { db in
                    try await db.raw("SELECT CAST(\(bind: #"{"a":"\u0000"}"#) AS JSONB) AS j").run()
                }
            }
        }
    }

    private func count(_ table: String, in database: PostgresDatabase) async throws -> Int {
        let row = try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
        }
        return try #require(row).decode(column: "n", as: Int.self)
    }
}
