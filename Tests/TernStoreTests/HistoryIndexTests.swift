import Foundation
import SQLKit
import TernCore
import TernTesting
import Testing

@testable import TernStore

/// Statements must be read through the partial indexes made for them. SQLite's planner runs with
/// its stability guarantee on (``SQLiteHandle``): it plans without looking at bound values, so a
/// partial index is used only when the statement's own text implies the index's condition.
struct HistoryIndexTests {
    /// The history a turn reads comes from the partial index of live messages (migration 16),
    /// not from walking the session's superseded messages.
    @Test func history_onSQLite_isReadThroughTheLiveMessagesIndex() async throws {
        try await withPlan(of: { $0.contains("superseded_at") }) { database in
            _ = try await SQLConversationStore(database: database).history(of: SessionID("s"), in: .defaultContext, limit: 20)
        } check: { plan in
            #expect(plan.contains { $0.contains("messages_live_history_idx") }, "plan: \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "the index gives the order; plan: \(plan)")
        }
    }

    /// The sweep of approvals left by gone instances reads the partial index of pending ones
    /// (migration 5), not every approval ever made. With the status bound as a parameter it
    /// scanned the table.
    @Test func orphanedApprovalsSweep_onSQLite_isReadThroughThePendingIndex() async throws {
        try await withPlan(of: { $0.hasPrefix("UPDATE \"approvals\"") }) { database in
            _ = try await SQLApprovalStore(database: database).expireOrphaned(
                seenBefore: Date(), keep: nil, reason: "gone", at: Date())
        } check: { plan in
            #expect(plan.contains { $0.contains("approvals_pending_created_at_idx") }, "plan: \(plan)")
        }
    }

    /// Runs `body` on a migrated SQLite database, takes the statement it ran that `matches`, and
    /// hands `check` the details of that statement's query plan.
    private func withPlan(
        of matches: (String) -> Bool, _ body: (SQLiteDatabase) async throws -> Void, check: ([String]) -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-plan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort cleanup of a temp dir
        let log = SQLStatementLog()
        let database = try await SQLiteDatabase.open(
            path: directory.appendingPathComponent("tern.sqlite").path, logger: log.logger())
        do {
            try await Migrator(database: database).migrate()
            _ = log.drain()
            try await body(database)
            let statements = log.drain()
            let found = statements.first(where: matches)
            let statement = try #require(found, "\(statements)")
            let plan = try await database.write { db in
                try await db.raw(SQLQueryString("EXPLAIN QUERY PLAN " + statement)).all()
                    .map { try $0.decode(column: "detail", as: String.self) }
            }
            check(plan)
            try await database.close()
        } catch {
            try await database.close()
            throw error
        }
    }
}
