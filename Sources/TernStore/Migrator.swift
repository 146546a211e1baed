import Foundation
package import Logging
import SQLKit
package import TernCore

/// Applies and reverts ``Migration``s, recording them in `schema_migrations`.
///
/// Each migration runs in its own transaction, so a failing one leaves the schema as it was.
/// Every run happens on one pinned session (``DatabaseHandle/withSession(_:)``); on PostgreSQL
/// that session holds the advisory lock ``advisoryLockKey`` for the whole run, so
/// replicas that start together apply each migration exactly once: whoever waits re-reads the
/// applied set after getting the lock and finds nothing left to do.
package struct Migrator: Sendable {
    /// The key of the PostgreSQL advisory lock held while migrating ("ternmigr" in ASCII).
    /// Advisory locks are per database, so two Tern databases on one server do not contend.
    package static let advisoryLockKey: Int64 = 0x7465_726E_6D69_6772

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

    /// Applies every pending migration; returns the versions applied (by this call: a
    /// migration another process applied meanwhile is not listed).
    @discardableResult
    package func migrate() async throws -> [Int] {
        try await withMigrationLock { session in
            try await ensureTable(session)
            let applied = try await appliedVersions(session)
            var done: [Int] = []
            for migration in migrations where !applied.contains(migration.version) {
                if try await apply(migration, on: session) { done.append(migration.version) }
            }
            return done
        }
    }

    /// Reverts the newest `count` applied migrations, newest first; returns the versions reverted.
    @discardableResult
    package func revert(count: Int) async throws -> [Int] {
        guard count > 0 else { throw StoreError.migration("revert count must be at least 1, got \(count)") }
        return try await withMigrationLock { session in
            try await ensureTable(session)
            let applied = try await appliedVersions(session).sorted(by: >)
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
                try await unapply(migration, on: session)
                reverted.append(version)
            }
            return reverted
        }
    }

    /// Every known migration with whether and when it was applied.
    package func status() async throws -> [MigrationStatus] {
        let rows = try await withMigrationLock { session in
            try await ensureTable(session)
            return try await session.read { db in
                try await db.select().columns("version", "applied_at").from("schema_migrations").all()
            }
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

    // MARK: - The lock

    /// Runs `body` on one session; on PostgreSQL while holding the migration advisory lock.
    private func withMigrationLock<T: Sendable>(
        _ body: @escaping @Sendable (any DatabaseSession) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        return try await database.withSession { session in
            guard session.dialect == .postgres else { return try await body(session) }
            let key = Self.advisoryLockKey
            let immediately = try await session.write { db in
                try await db.raw("SELECT pg_try_advisory_lock(\(bind: key)) AS locked").first()
            }
            if try immediately?.decode(column: "locked", as: Bool.self) != true {
                logger.info(
                    "another process is migrating this database; waiting for it",
                    metadata: ["lock": "\(key)"])
                try await session.write { db in
                    try await db.raw("SELECT pg_advisory_lock(\(bind: key))").run()
                }
            }
            let result: T
            do {
                result = try await body(session)
            } catch {
                await Self.unlock(session, logger: logger)
                throw error
            }
            await Self.unlock(session, logger: logger)
            return result
        }
    }

    /// Releases the advisory lock. A failure is logged, not thrown: the lock belongs to the
    /// session and ends with its connection, and the migrations themselves are already done.
    private static func unlock(_ session: any DatabaseSession, logger: Logger) async {
        do {
            try await session.write { db in
                try await db.raw("SELECT pg_advisory_unlock(\(bind: advisoryLockKey))").run()
            }
        } catch {
            logger.error(
                "releasing the migration lock failed", metadata: ["lock": "\(advisoryLockKey)", "error": "\(error)"])
        }
    }

    // MARK: - Steps

    private func ensureTable(_ session: any DatabaseSession) async throws {
        try await session.write { db in
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

    private func appliedVersions(_ session: any DatabaseSession) async throws -> Set<Int> {
        let rows = try await session.read { db in
            try await db.select().column("version").from("schema_migrations").all()
        }
        return Set(try rows.map { try $0.decode(column: "version", as: Int.self) })
    }

    /// Applies `migration` unless its version is already recorded (another process without the
    /// PostgreSQL lock, i.e. SQLite shared by two processes, may have just applied it);
    /// returns whether it ran.
    private func apply(_ migration: Migration, on session: any DatabaseSession) async throws -> Bool {
        let dialect = session.dialect
        let now = clock.now().microsecondsSince1970
        let ran: Bool
        do {
            ran = try await session.transaction { db in
                let recorded = try await db.select().column("version").from("schema_migrations")
                    .where("version", .equal, SQLBind(migration.version))
                    .first()
                if recorded != nil { return false }
                for statement in migration.up(dialect) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.insert(into: "schema_migrations")
                    .columns("version", "name", "applied_at")
                    .values(SQLBind(migration.version), SQLBind(migration.name), SQLBind(now))
                    .run()
                return true
            }
        } catch {
            throw StoreError.migration(
                "migration \(migration.version) (\(migration.name)) failed and was rolled back: \(error)")
        }
        if ran {
            logger.info(
                "applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
        }
        return ran
    }

    private func unapply(_ migration: Migration, on session: any DatabaseSession) async throws {
        let dialect = session.dialect
        do {
            try await session.transaction { db in
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
