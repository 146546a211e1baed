import Foundation
import SQLKit
import TernCore
import TernStore

/// A fresh SQLite file in its own temporary directory, migrated, removed afterwards.
func withTemporarySQLite(
    migrate: Bool = true, _ body: (SQLiteDatabase) async throws -> Void
) async throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("tern-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }  // best-effort cleanup of a temp dir
    let database = try await SQLiteDatabase.open(path: directory.appendingPathComponent("tern.sqlite").path)
    do {
        if migrate { try await Migrator(database: database).migrate() }
        try await body(database)
        try await database.close()
    } catch {
        try await database.close()
        throw error
    }
}

/// A fresh, migrated database of `backend` with a second context `contextB` (named `b`) next to
/// the default one, for the store contract tests that check isolation.
func withTemporaryDatabase(
    _ backend: SQLBackend, secondContext contextB: ContextID, _ body: (any DatabaseHandle) async throws -> Void
) async throws {
    try await withTemporaryDatabase(backend) { database throws in
        try await database.write { db in
            try await db.raw("INSERT INTO contexts (id, name, created_at) VALUES (\(bind: contextB.rawValue), 'b', 0)").run()
        }
        try await body(database)
    }
}

/// A fresh, migrated (unless `migrate` is false) database of `backend` for `body`, removed
/// afterwards.
func withTemporaryDatabase(
    _ backend: SQLBackend, migrate: Bool = true, _ body: (any DatabaseHandle) async throws -> Void
) async throws {
    switch backend {
    case .sqlite:
        try await withTemporarySQLite(migrate: migrate) { database in try await body(database) }
    case .postgres:
        try await withTemporaryPostgres(migrate: migrate) { database, _ in try await body(database) }
    }
}
