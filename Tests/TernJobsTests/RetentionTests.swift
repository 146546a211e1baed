import Foundation
import SQLKit
import Testing
import TernCore
import TernJobs
import TernStore

struct FixedClock: WallClock {
    var date: Date
    func now() -> Date { date }
}

@Suite struct RetentionTests {
    static let day: TimeInterval = 86_400
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// Old thread (all old), mixed thread (old session + new session), new thread.
    func seed(_ database: SQLiteDatabase) async throws {
        let old = SQLConversationStore(database: database, clock: FixedClock(date: Self.now.addingTimeInterval(-40 * Self.day)))
        let new = SQLConversationStore(database: database, clock: FixedClock(date: Self.now.addingTimeInterval(-1 * Self.day)))
        let oldThread = try await old.conversation(in: .defaultContext, platform: "t", platformID: "old")
        let oldSession = try await old.currentSession(of: oldThread.id, in: .defaultContext)
        for index in 0..<7 {
            _ = try await old.append(NewMessage(sessionID: oldSession.id, role: .user, content: "o\(index)"), in: .defaultContext)
        }
        let mixed = try await old.conversation(in: .defaultContext, platform: "t", platformID: "mixed")
        let mixedOld = try await old.currentSession(of: mixed.id, in: .defaultContext)
        _ = try await old.append(NewMessage(sessionID: mixedOld.id, role: .user, content: "gone"), in: .defaultContext)
        let mixedNew = try await new.startSession(of: mixed.id, in: .defaultContext)
        _ = try await new.append(NewMessage(sessionID: mixedNew.id, role: .user, content: "kept"), in: .defaultContext)
        let fresh = try await new.conversation(in: .defaultContext, platform: "t", platformID: "new")
        let freshSession = try await new.currentSession(of: fresh.id, in: .defaultContext)
        _ = try await new.append(NewMessage(sessionID: freshSession.id, role: .user, content: "kept too"), in: .defaultContext)
    }

    func remaining(_ database: SQLiteDatabase) async throws -> [String] {
        try await database.read { db in try await db.raw("SELECT content FROM messages ORDER BY content").all() }
            .map { try $0.decode(column: "content", as: String.self) }
    }

    func count(_ database: SQLiteDatabase, _ table: String) async throws -> Int {
        let row = try await database.read { db in try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first() }
        return try row?.decode(column: "n", as: Int.self) ?? -1
    }

    @Test func plan_countsWhatAPassDeletes_andChangesNothing() async throws {
        try await withDatabase { database in
            try await seed(database)
            let service = RetentionService(
                store: SQLRetentionStore(database: database), days: 30, batchSize: 3, clock: FixedClock(date: Self.now))
            let plan = try await SQLRetentionStore(database: database).plan(olderThan: service.cutoff)
            #expect(plan == RetentionCounts(messages: 8, sessions: 2, conversations: 1))
            #expect(try await count(database, "messages") == 10)

            let removed = try await service.runOnce()
            #expect(removed == plan)
            #expect(try await remaining(database) == ["kept", "kept too"])
            #expect(try await count(database, "sessions") == 2)
            #expect(try await count(database, "conversations") == 2)
            #expect(try await service.runOnce() == RetentionCounts())
        }
    }

    func withDatabase(_ body: (SQLiteDatabase) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-retention-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
        let database = try await SQLiteDatabase.open(path: directory.appendingPathComponent("r.sqlite").path)
        do {
            try await Migrator(database: database).migrate()
            try await body(database)
        } catch {
            try await database.close()
            throw error
        }
        try await database.close()
    }
}
