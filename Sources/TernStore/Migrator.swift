import Foundation
import Logging
import SQLKit
import TernCore

/// Applies and reverts ``Migration``s, recording them in `schema_migrations`.
///
/// Each migration runs in its own transaction, so a failing one leaves the schema as it was.
package struct Migrator: Sendable {
    private let database: any DatabaseHandle
    private let migrations: [Migration]
    private let clock: any WallClock
    private let logger: Logger

    package init(
        database: any DatabaseHandle, migrations: [Migration] = Migration.all,
        clock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "tern.store.migrate")
    ) {
        self.database = database
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.clock = clock
        self.logger = logger
    }

    /// Applies every pending migration; returns the versions applied.
    @discardableResult
    package func migrate() async throws -> [Int] {
        try await ensureTable()
        let applied = try await appliedVersions()
        var done: [Int] = []
        for migration in migrations where !applied.contains(migration.version) {
            try await apply(migration)
            done.append(migration.version)
        }
        return done
    }

    /// Reverts the newest `count` applied migrations, newest first; returns the versions reverted.
    @discardableResult
    package func revert(count: Int) async throws -> [Int] {
        guard count > 0 else { throw StoreError.migration("revert count must be at least 1, got \(count)") }
        try await ensureTable()
        let applied = try await appliedVersions().sorted(by: >)
        if count > applied.count {
            throw StoreError.migration(
                "cannot revert \(count) migrations: only \(applied.count) applied")
        }
        var reverted: [Int] = []
        for version in applied.prefix(count) {
            guard let migration = migrations.first(where: { $0.version == version }) else {
                throw StoreError.migration(
                    "migration \(version) is applied but unknown to this version of Tern")
            }
            try await unapply(migration)
            reverted.append(version)
        }
        return reverted
    }

    /// Every known migration with whether and when it was applied.
    package func status() async throws -> [MigrationStatus] {
        try await ensureTable()
        let rows = try await database.read { db in
            try await db.select().columns("version", "applied_at").from("schema_migrations").all()
        }
        var appliedAt: [Int: Int64] = [:]
        for row in rows {
            appliedAt[try row.decode(column: "version", as: Int.self)] = try row.decode(
                column: "applied_at", as: Int64.self)
        }
        return migrations.map {
            MigrationStatus(version: $0.version, name: $0.name, appliedAt: appliedAt[$0.version])
        }
    }

    private func ensureTable() async throws {
        try await database.write { db in
            try await db.raw(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at BIGINT NOT NULL
                )
                """
            ).run()
        }
    }

    private func appliedVersions() async throws -> Set<Int> {
        let rows = try await database.read { db in
            try await db.select().column("version").from("schema_migrations").all()
        }
        return Set(try rows.map { try $0.decode(column: "version", as: Int.self) })
    }

    private func apply(_ migration: Migration) async throws {
        let dialect = database.dialect
        let now = clock.now().microsecondsSince1970
        do {
            try await database.transaction { db in
                for statement in migration.up(dialect) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.insert(into: "schema_migrations")
                    .columns("version", "name", "applied_at")
                    .values(SQLBind(migration.version), SQLBind(migration.name), SQLBind(now))
                    .run()
            }
        } catch {
            throw StoreError.migration(
                "migration \(migration.version) (\(migration.name)) failed and was rolled back: \(error)")
        }
        logger.info(
            "applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
    }

    private func unapply(_ migration: Migration) async throws {
        let dialect = database.dialect
        do {
            try await database.transaction { db in
                for statement in migration.down(dialect) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.delete(from: "schema_migrations")
                    .where("version", .equal, SQLBind(migration.version))
                    .run()
            }
        } catch {
            throw StoreError.migration(
                "reverting migration \(migration.version) (\(migration.name)) failed and was rolled back: \(error)")
        }
        logger.info(
            "reverted migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
    }
}
