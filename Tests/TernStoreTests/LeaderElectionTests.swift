import Foundation
import Logging
import SQLKit
import Synchronization
import Testing
import TernCore
import TernStore

@Suite(.timeLimit(.minutes(1))) struct LeaderElectionTests {
    /// Fast timings so takeovers happen within a fraction of a second.
    static let settings: LeaderElection.Settings = {
        var settings = LeaderElection.Settings()
        settings.retry = .milliseconds(50)
        settings.checkInterval = .milliseconds(50)
        settings.backoff = .milliseconds(50)
        settings.maxBackoff = .milliseconds(200)
        settings.stopGrace = .milliseconds(500)
        return settings
    }()

    @Test func sqlite_leadsAtOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-leader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
        let database = try await SQLiteDatabase.open(path: directory.appendingPathComponent("t.sqlite").path)
        let ran = OrderLog()
        let election = LeaderElection(backend: LeaderElection.backend(for: database), key: 1, logger: Logger(label: "test"))
        try await election.run { _ in ran.append("ran") }
        #expect(ran.entries == ["ran"])
        #expect(election.status.state == .idle)
        try await database.close()
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func postgres_oneLeaderAtATime_theOtherTakesOver() async throws {
        try await withTemporaryPostgres { database, _ in
            let first = Self.election(database, key: 42)
            let second = Self.election(database, key: 42)
            let firstLeads = OneShotSignal()
            let releaseFirst = OneShotSignal()
            let secondLeads = OneShotSignal()
            let order = OrderLog()
            let leader = Task {
                try await first.run { _ in
                    order.append("first")
                    firstLeads.fire()
                    await releaseFirst.wait()
                }
            }
            await firstLeads.wait()
            let follower = Task {
                try await second.run { _ in
                    order.append("second")
                    secondLeads.fire()
                }
            }
            await second.reached(.waiting)
            #expect(order.entries == ["first"])
            releaseFirst.fire()
            try await leader.value
            await secondLeads.wait()
            try await follower.value
            #expect(order.entries == ["first", "second"])
            #expect(first.status.terms == 1 && second.status.terms == 1)
        }
    }

    /// The issue's fault (a): the holder's backend is terminated. The holder must notice, stop
    /// its work and contend again; the other replica takes over; never two terms at once for long.
    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func postgres_terminatedHolder_noticesLoss_andTheContenderTakesOver() async throws {
        try await withTemporaryPostgres { database, _ in
            let key: Int64 = 0x0102_0304_0506_0708
            let first = Self.election(database, key: key)
            let second = Self.election(database, key: key)
            let firstLeads = OneShotSignal()
            let firstStopped = OneShotSignal()
            let secondLeads = OneShotSignal()
            let holders = HolderCount()
            let leader = Task {
                try await first.run { term in
                    holders.change(by: 1)
                    defer { holders.change(by: -1) }
                    firstLeads.fire()
                    await term.lost()
                    #expect(term.isLost)
                    firstStopped.fire()
                    // Must not lead again while the other holds the lock.
                    await OneShotSignal().wait()
                }
            }
            await firstLeads.wait()
            let follower = Task {
                try await second.run { _ in
                    holders.change(by: 1)
                    defer { holders.change(by: -1) }
                    secondLeads.fire()
                    await OneShotSignal().wait()
                }
            }
            await second.reached(.waiting)
            let terminated = try await database.write { db in
                try await db.raw(
                    """
                    SELECT count(pg_terminate_backend(pid)) AS n FROM pg_locks WHERE locktype = 'advisory'
                      AND classid = \(bind: Int64(0x0102_0304)) AND objid = \(bind: Int64(0x0506_0708)) AND granted
                    """
                ).first()?.decode(column: "n", as: Int64.self)
            }
            #expect(terminated == 1)
            await firstStopped.wait()
            await secondLeads.wait()
            await first.reached(.waiting)  // the old leader contends again
            #expect(first.status.terms == 1)
            #expect(first.status.lastError != nil)
            #expect(second.status.state == .leading)
            #expect(holders.value == 1)
            leader.cancel()
            follower.cancel()
            _ = await leader.result
            _ = await follower.result
        }
    }

    @Test func reached_returnsOnceTheStateIsEntered_notBefore() async throws {
        let election = LeaderElection(backend: .single, key: 9, settings: Self.settings, logger: Logger(label: "test"))
        #expect(election.status.state != .leading)
        let release = OneShotSignal()
        let running = Task { try await election.run { _ in await release.wait() } }
        await election.reached(.leading)
        #expect(election.status.state == .leading)
        await election.reached(.leading)  // already there: returns at once
        release.fire()
        try await running.value
    }

    @Test func unreachableServer_isAnErrorState_andCancellingStopsTheElection() async throws {
        var url = try PostgresURL(parsing: "postgres://tern@127.0.0.1:1/none")
        url.connectTimeout = .seconds(1)
        let election = LeaderElection(backend: .postgres(url), key: 7, settings: Self.settings, logger: Logger(label: "test"))
        let running = Task { try await election.run { _ in Issue.record("led without a server") } }
        await election.reached(.error)
        #expect(election.status.lastError?.contains("cannot connect to PostgreSQL at 127.0.0.1:1") == true)
        running.cancel()
        await #expect(throws: CancellationError.self) { try await running.value }
    }

    static func election(_ database: PostgresDatabase, key: Int64) -> LeaderElection {
        LeaderElection(
            backend: LeaderElection.backend(for: database), key: key, settings: settings, logger: PostgresTestServer.logger)
    }
}

final class OrderLog: Sendable {
    private let log = Mutex<[String]>([])
    func append(_ entry: String) { log.withLock { $0.append(entry) } }
    var entries: [String] { log.withLock { $0 } }
}

final class HolderCount: Sendable {
    private let count = Mutex(0)
    func change(by delta: Int) { count.withLock { $0 += delta } }
    var value: Int { count.withLock { $0 } }
}
