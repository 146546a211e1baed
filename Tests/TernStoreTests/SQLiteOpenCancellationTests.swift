import Foundation
import TernCore
import Testing

@testable import TernStore

/// An open or a close of a SQLite database cancelled half-way still closes every connection it
/// made. SQLiteNIO's async `close()` gave up on a cancelled task, leaving the connection open:
/// in debug builds its deinit then stopped the process ("SQLiteConnection was not closed"), which
/// is how a timed-out test once took the whole suite down.
struct SQLiteOpenCancellationTests {
    @Test func open_cancelledAtAnyPoint_closesWhatItOpened_andTheFileStaysUsable() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-cancel-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort cleanup of a temp dir
        let path = directory.appendingPathComponent("tern.sqlite").path
        // Cancel after 0, 1, 2, … yields, so the cancellation lands between different steps of
        // the open (it opens three connections and sets pragmas on each).
        for yields in 0..<40 {
            let opening = Task { try await SQLiteDatabase.open(path: path) }
            for _ in 0..<yields { await Task.yield() }
            opening.cancel()
            switch await opening.result {
            case .success(let database): try await database.close()
            case .failure: break  // cancelled (or refused as cancelled): nothing may stay open
            }
        }
        let database = try await SQLiteDatabase.open(path: path)
        try await Migrator(database: database).migrate()
        try await database.close()
    }

    @Test func close_inACancelledTask_stillCloses() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-cancel-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort cleanup of a temp dir
        let database = try await SQLiteDatabase.open(path: directory.appendingPathComponent("tern.sqlite").path)
        let closing = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await database.close()
        }
        try await closing.value
    }
}
