import Foundation
import Logging
import Synchronization
import Testing
import TernCore
import TernStore

@Suite(.timeLimit(.minutes(1))) struct LeaderElectionTests {
    @Test func sqlite_leadsAtOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-leader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
        let database = try await SQLiteDatabase.open(path: directory.appendingPathComponent("t.sqlite").path)
        let ran = OrderLog()
        try await LeaderElection(database: database, key: 1, logger: Logger(label: "test")).run { ran.append("ran") }
        #expect(ran.entries == ["ran"])
        try await database.close()
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func postgres_oneLeaderAtATime_theOtherTakesOver() async throws {
        try await withTemporaryPostgres { database, _ in
            let logger = Logger(label: "test")
            let first = LeaderElection(database: database, key: 42, logger: logger)
            let second = LeaderElection(database: database, key: 42, logger: logger)
            let firstLeads = OneShotSignal()
            let releaseFirst = OneShotSignal()
            let secondWaited = OneShotSignal()
            let secondLeads = OneShotSignal()
            let order = OrderLog()
            let leader = Task {
                try await first.run {
                    order.append("first")
                    firstLeads.fire()
                    await releaseFirst.wait()
                }
            }
            await firstLeads.wait()
            let follower = Task {
                // Each failed attempt "sleeps"; the first one proves it had to wait.
                try await second.run(sleep: { _ in
                    secondWaited.fire()
                    await Task.yield()
                }) {
                    order.append("second")
                    secondLeads.fire()
                }
            }
            await secondWaited.wait()
            #expect(order.entries == ["first"])
            releaseFirst.fire()
            try await leader.value
            await secondLeads.wait()
            try await follower.value
            #expect(order.entries == ["first", "second"])
        }
    }
}

final class OrderLog: Sendable {
    private let log = Mutex<[String]>([])
    func append(_ entry: String) { log.withLock { $0.append(entry) } }
    var entries: [String] { log.withLock { $0 } }
}
