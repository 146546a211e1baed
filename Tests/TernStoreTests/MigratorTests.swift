import Foundation
import SQLKit
import Testing
import TernCore
@testable import TernStore

@Suite(.timeLimit(.minutes(1))) struct MigratorTests {
    @Test(arguments: SQLBackend.allCases)
    func migrate_appliesAllThenIsUpToDate(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend, migrate: false) { database throws in
            let migrator = Migrator(database: database)
            let applied = try await migrator.migrate()
            #expect(applied == Migration.all.map(\.version))
            #expect(try await migrator.migrate().isEmpty)
            let status = try await migrator.status()
            #expect(status.allSatisfy { $0.appliedAt != nil })
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func revert_undoesNewestFirst_andMigrateReappliesThem(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let migrator = Migrator(database: database)
            let versions = Migration.all.map(\.version)
            let newest = try #require(versions.last)
            #expect(try await migrator.revert(count: 1) == [newest])
            #expect(try await migrator.status().map { $0.appliedAt != nil } == versions.map { $0 != newest })
            #expect(try await migrator.revert(count: versions.count - 1) == Array(versions.dropLast().reversed()))
            #expect(try await tableNames(database) == ["schema_migrations"])
            #expect(try await migrator.migrate() == versions)
            #expect(try await contextNames(database) == ["default"])
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func revertingUsageAndSupersede_keepsMessages_andReapplyingLeavesThemActive(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLConversationStore(database: database)
            let conversation = try await store.conversation(in: .defaultContext, platform: "cli", platformID: "m")
            let session = try await store.currentSession(of: conversation.id, in: .defaultContext)
            let usage = TokenUsage(promptTokens: 3, completionTokens: 1, estimated: true)
            let kept = try await store.append(
                NewMessage(sessionID: session.id, role: .user, content: "kept", usage: usage), in: .defaultContext)
            let migrator = Migrator(database: database)
            let fromUsage = Migration.all.map(\.version).filter { $0 >= Migration.usageAndSupersede.version }
            #expect(try await migrator.revert(count: fromUsage.count) == fromUsage.reversed())
            #expect(!(try await tableNames(database)).contains("usage_records"))
            #expect(try await migrator.migrate() == fromUsage)
            var expected = kept
            expected.usage?.estimated = false  // the flag went with its column
            #expect(try await store.history(of: session.id, in: .defaultContext, limit: 10) == [expected])
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func revert_moreThanApplied_failsAndChangesNothing(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let migrator = Migrator(database: database)
            let count = Migration.all.count
            await #expect(throws: StoreError.migration("cannot revert \(count + 1) migrations: only \(count) applied")) {
                try await migrator.revert(count: count + 1)
            }
            #expect(try await migrator.status().allSatisfy { $0.appliedAt != nil })
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func failingMigration_isRolledBackWhole(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let broken = Migration(
                version: 999, name: "broken",
                up: { _ in ["CREATE TABLE half_done (id TEXT)", "THIS IS NOT SQL"] },
                down: { _ in ["DROP TABLE half_done"] })
            let migrator = Migrator(database: database, migrations: Migration.all + [broken])
            await #expect {
                try await migrator.migrate()
            } throws: { error in
                "\(error)".contains("migration 999 (broken) failed and was rolled back")
            }
            #expect(!(try await tableNames(database)).contains("half_done"))
            #expect(try await migrator.status().last?.appliedAt == nil)
            #expect(try await contextNames(database) == ["default"])
        }
    }

    @Test func everyForeignKey_hasAnIndexStartingWithIt() async throws {
        try await withTemporarySQLite { database throws in
            for table in try await tableNames(database) {
                let foreignKeys = try await database.read { db in
                    try await db.raw("SELECT \"from\" FROM pragma_foreign_key_list(\(bind: table))").all()
                }
                let indexes = try await database.read { db in
                    try await db.raw("SELECT name FROM pragma_index_list(\(bind: table))").all()
                }
                var leadingColumns: Set<String> = []
                for index in indexes {
                    let name = try index.decode(column: "name", as: String.self)
                    let first = try await database.read { db in
                        try await db.raw("SELECT name FROM pragma_index_info(\(bind: name)) WHERE seqno = 0").first()
                    }
                    if let first { leadingColumns.insert(try first.decode(column: "name", as: String.self)) }
                }
                for key in foreignKeys {
                    let column = try key.decode(column: "from", as: String.self)
                    #expect(leadingColumns.contains(column), "\(table).\(column) has no index")
                }
            }
        }
    }

    @Test func sqlite_usesWALAndABoundedBusyTimeout() async throws {
        try await withTemporarySQLite { database throws in
            let mode = try await database.read { db in try await db.raw("PRAGMA journal_mode").first() }
            #expect(try mode?.decode(column: "journal_mode", as: String.self) == "wal")
            let timeout = try await database.read { db in try await db.raw("PRAGMA busy_timeout").first() }
            #expect(try timeout?.decode(column: "timeout", as: Int.self) == 5000)
            let keys = try await database.write { db in try await db.raw("PRAGMA foreign_keys").first() }
            #expect(try keys?.decode(column: "foreign_keys", as: Int.self) == 1)
        }
    }

    private func tableNames(_ database: any DatabaseHandle) async throws -> [String] {
        let query: SQLQueryString =
            switch database.dialect {
            case .sqlite:
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            case .postgres:
                "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
            }
        return try await database.read { db in try await db.raw(query).all() }
            .map { try $0.decode(column: "name", as: String.self) }
    }

    private func contextNames(_ database: any DatabaseHandle) async throws -> [String] {
        try await database.read { db in try await db.raw("SELECT name FROM contexts ORDER BY name").all() }
            .map { try $0.decode(column: "name", as: String.self) }
    }
}
