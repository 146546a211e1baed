import Foundation
import SQLKit
import Testing
import TernCore
import TernStore

@Suite struct SQLiteCascadeTests {
    @Test func deletingAContext_removesItsConversationsSessionsAndMessages() async throws {
        try await withTemporarySQLite { database throws in
            let store = SQLConversationStore(database: database)
            try await database.write { db in
                try await db.raw("INSERT INTO contexts (id, name, created_at) VALUES ('ctx-gone', 'gone', 0)").run()
            }
            let gone = ContextID("ctx-gone")
            let conversation = try await store.conversation(in: gone, platform: "cli", platformID: "c")
            let session = try await store.currentSession(of: conversation.id, in: gone)
            _ = try await store.append(NewMessage(sessionID: session.id, role: .user, content: "hi"), in: gone)
            let kept = try await store.conversation(in: .defaultContext, platform: "cli", platformID: "c2")
            let keptSession = try await store.currentSession(of: kept.id, in: .defaultContext)
            _ = try await store.append(NewMessage(sessionID: keptSession.id, role: .user, content: "stay"), in: .defaultContext)

            try await database.write { db in try await db.raw("DELETE FROM contexts WHERE id = 'ctx-gone'").run() }

            for table in ["conversations", "sessions", "messages"] {
                let row = try await database.read { db in
                    try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE context_id = 'ctx-gone'").first()
                }
                #expect(try row?.decode(column: "n", as: Int.self) == 0, "\(table) kept rows of a deleted context")
            }
            #expect(try await store.history(of: keptSession.id, in: .defaultContext, limit: 5).map(\.content) == ["stay"])
        }
    }
}
