import Foundation
import SQLKit
import TernCore
import TernTesting
import Testing

@testable import TernStore

/// The history a turn reads must come from the partial index of live messages (migration 16),
/// not from walking the session's superseded messages.
struct HistoryIndexTests {
    @Test func history_onSQLite_isReadThroughTheLiveMessagesIndex() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-history-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort cleanup of a temp dir
        let log = SQLStatementLog()
        let database = try await SQLiteDatabase.open(
            path: directory.appendingPathComponent("tern.sqlite").path, logger: log.logger())
        do {
            try await Migrator(database: database).migrate()
            _ = log.drain()
            let store = SQLConversationStore(database: database)
            _ = try await store.history(of: SessionID("s"), in: .defaultContext, limit: 20)
            let statements = log.drain().filter { !SQLStatementLog.isBackground($0) }
            let history = try #require(statements.first { $0.contains("superseded_at") }, "\(statements)")
            let plan = try await database.read { db in
                try await db.raw(SQLQueryString("EXPLAIN QUERY PLAN " + history)).all()
                    .map { try $0.decode(column: "detail", as: String.self) }
            }
            #expect(plan.contains { $0.contains("messages_live_history_idx") }, "plan: \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "the index gives the order; plan: \(plan)")
            try await database.close()
        } catch {
            try await database.close()
            throw error
        }
    }
}
