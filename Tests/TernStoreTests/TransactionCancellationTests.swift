import Foundation
import SQLKit
import Testing
import TernStore

/// Regression: a client hanging up mid-transaction cancelled the ROLLBACK too, leaving the
/// SQLite writer inside an open transaction so every later write failed.
@Suite(.timeLimit(.minutes(1))) struct TransactionCancellationTests {
    @Test(arguments: SQLBackend.allCases)
    func cancelledTransaction_rollsBack_andLaterWritesWork(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let (entered, signal) = AsyncStream.makeStream(of: Void.self)
            let doomed = Task {
                try await database.transaction { db in
                    try await db.raw("INSERT INTO contexts (id, name, created_at) VALUES ('doomed', 'doomed', 0)").run()
                    signal.yield()
                    try await Task.sleep(for: .seconds(30))  // held open until cancelled: the behaviour under test
                }
            }
            var iterator = entered.makeAsyncIterator()
            _ = await iterator.next()
            doomed.cancel()
            _ = await doomed.result
            try await database.transaction { db in
                try await db.raw("INSERT INTO contexts (id, name, created_at) VALUES ('later', 'later', 0)").run()
            }
            let names = try await database.read { db in
                try await db.raw("SELECT name FROM contexts WHERE name IN ('doomed', 'later')").all()
            }.map { try $0.decode(column: "name", as: String.self) }
            #expect(names == ["later"])
        }
    }
}
