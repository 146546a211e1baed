import Foundation
import SQLKit
import Testing
import TernCore
import TernJobs
import TernStore

/// `KeywordIndexUpkeepService` merges the memories' full-text segments once this process's
/// writes pause (a failed merge is put back and tried again: `MemoryKeywordIndexTests`).
@Suite(.timeLimit(.minutes(1))) struct KeywordIndexUpkeepServiceTests {
    static func withStore(_ body: (SQLMemoryStore, SQLiteDatabase) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-upkeep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
        let database = try await SQLiteDatabase.open(path: directory.appendingPathComponent("u.sqlite").path)
        do {
            try await Migrator(database: database).migrate()
            try await body(SQLMemoryStore(database: database), database)
        } catch {
            try await database.close()
            throw error
        }
        try await database.close()
    }

    static func segments(_ database: SQLiteDatabase) async throws -> Int {
        try await database.read { db in
            try await db.raw("SELECT COUNT(DISTINCT segid) AS n FROM memories_fts_idx").first()?
                .decode(column: "n", as: Int.self) ?? -1
        }
    }

    @Test func runOnce_mergesOnlyAfterWritesPaused() async throws {
        try await Self.withStore { store, database in
            let waiting = KeywordIndexUpkeepService(store: store, idle: .seconds(3600), longest: .seconds(3600))
            let paused = KeywordIndexUpkeepService(store: store, idle: .zero)
            #expect(try await paused.runOnce() == false, "nothing written")
            for index in 0..<6 {
                _ = try await store.remember(NewMemory(text: "fact \(index)", source: "f\(index)"), in: .defaultContext)
            }
            #expect(try await waiting.runOnce() == false)
            #expect(try await Self.segments(database) > 1)
            #expect(try await paused.runOnce())
            #expect(try await Self.segments(database) == 1)
        }
    }

    /// The running service merges by itself, and stops when cancelled.
    @Test func run_mergesInTheBackground() async throws {
        try await Self.withStore { store, database in
            let service = KeywordIndexUpkeepService(store: store, interval: .milliseconds(20), idle: .zero)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                for index in 0..<6 {
                    _ = try await store.remember(NewMemory(text: "fact \(index)", source: "f\(index)"), in: .defaultContext)
                }
                var segments = try await Self.segments(database)
                while segments != 1 {
                    try await Task.sleep(for: .milliseconds(10))
                    segments = try await Self.segments(database)
                }
                group.cancelAll()
            }
        }
    }
}
