import Foundation
import SQLKit
import Testing
import TernCore
import TernJobs
import TernStore

/// `KeywordIndexUpkeepService` merges the memories' full-text segments once this process's
/// writes pause (when a merge is worth it, and a failed one is tried again: `MemoryKeywordIndexTests`).
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
            #expect(try await Self.segments(database) == 6)
            #expect(try await paused.runOnce())
            #expect(try await Self.segments(database) == 1)
        }
    }

    /// The running service checks by itself once writes paused, merges, and ends when cancelled.
    @Test func run_mergesInTheBackground() async throws {
        try await Self.withStore { store, database in
            let (outcomes, report) = AsyncStream.makeStream(of: Bool.self)
            let service = KeywordIndexUpkeepService(
                store: store, interval: .milliseconds(20), idle: .zero,
                checked: { outcome in if case .success(let merged) = outcome { report.yield(merged) } })
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                for index in 0..<6 {
                    _ = try await store.remember(NewMemory(text: "fact \(index)", source: "f\(index)"), in: .defaultContext)
                }
                // Checks before the last write may merge part of them; one merges the rest.
                for await merged in outcomes where merged {
                    if try await Self.segments(database) == 1 { break }
                }
                #expect(try await Self.segments(database) == 1)
                group.cancelAll()
                try await group.waitForAll()
            }
        }
    }
}
