import Foundation
import SQLKit
import Testing
import TernCore
@testable import TernStore

@Suite struct MigratorTests {
    @Test func migrate_appliesAllThenIsUpToDate() async throws {
        try await withTemporarySQLite(migrate: false) { database throws in
            let migrator = Migrator(database: database)
            let applied = try await migrator.migrate()
            #expect(applied == Migration.all.map(\.version))
            #expect(try await migrator.migrate().isEmpty)
            let status = try await migrator.status()
            #expect(status.allSatisfy { $0.appliedAt != nil })
        }
    }

    @Test func revert_undoesNewestFirst_andMigrateReappliesThem() async throws {
        try await withTemporarySQLite { database throws in
            let migrator = Migrator(database: database)
            #expect(try await migrator.revert(count: 1) == [2])
            #expect(try await migrator.status().map { $0.appliedAt != nil } == [true, false])
            #expect(try await contextNames(database) == [])
            #expect(try await migrator.revert(count: 1) == [1])
            #expect(try await tableNames(database) == ["schema_migrations"])
            #expect(try await migrator.migrate() == [1, 2])
            #expect(try await contextNames(database) == ["default"])
        }
    }

    @Test func revert_moreThanApplied_failsAndChangesNothing() async throws {
        try await withTemporarySQLite { database throws in
            let migrator = Migrator(database: database)
            await #expect(throws: StoreError.migration("cannot revert 3 migrations: only 2 applied")) {
                try await migrator.revert(count: 3)
            }
            #expect(try await migrator.status().allSatisfy { $0.appliedAt != nil })
        }
    }

    @Test func failingMigration_isRolledBackWhole() async throws {
        try await withTemporarySQLite { database throws in
            let broken = Migration(
                version: 3, name: "broken",
                up: { _ in ["CREATE TABLE half_done (id TEXT)", "THIS IS NOT SQL"] },
                down: { _ in ["DROP TABLE half_done"] })
            let migrator = Migrator(database: database, migrations: Migration.all + [broken])
            await #expect {
                try await migrator.migrate()
            } throws: { error in
                "\(error)".contains("migration 3 (broken) failed and was rolled back")
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

    private func tableNames(_ database: SQLiteDatabase) async throws -> [String] {
        try await database.read { db in
            try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                .all()
        }.map { try $0.decode(column: "name", as: String.self) }
    }

    private func contextNames(_ database: SQLiteDatabase) async throws -> [String] {
        try await database.read { db in try await db.raw("SELECT name FROM contexts ORDER BY name").all() }
            .map { try $0.decode(column: "name", as: String.self) }
    }
}
