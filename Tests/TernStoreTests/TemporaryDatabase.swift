import Foundation
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
