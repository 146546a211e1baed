import Foundation
import SQLKit
import Testing
import TernCore
import TernTesting
@testable import TernStore

/// ``PostgresDatabase``'s connection lease: the acquire timeout, cancellation while waiting, and
/// the gate that lets a call lease a known idle connection without a timer.
@Suite(.timeLimit(.minutes(1))) struct PostgresLeaseTests {
    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func lease_whenEveryConnectionIsBusy_failsAfterTheAcquireTimeout_andTheHolderRunsOn() async throws {
        try await withPool(maximumConnections: 1, acquireTimeout: .milliseconds(200)) { (database) async throws in
            try await whileTheOnlyConnectionIsHeld(in: database) {
                await #expect {
                    try await database.read { db in try await db.raw("SELECT 1").run() }
                } throws: { error in
                    guard case .database(let message) = error as? StoreError else { return false }
                    return message.contains(
                        "no connection to PostgreSQL at \(database.url.location) within 0.2 seconds")
                        && message.contains("every connection is busy")
                }
            }
        }
    }

    /// Before, the pool's `requestCancelled` left as a StoreError ("no connection to PostgreSQL
    /// at …: ConnectionPoolError(…requestCancelled)"), as if the server had failed.
    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func lease_cancelledWhileWaiting_endsAtOnceWithCancellation() async throws {
        try await withPool(maximumConnections: 1, acquireTimeout: .seconds(300)) { (database) async throws in
            try await whileTheOnlyConnectionIsHeld(in: database) {
                let waiter = Task { try await selectOne(database) }
                try await poll("the second call to wait for the connection") { database.gate.calls == 2 }
                waiter.cancel()
                // With a 300 s acquire timeout, only the cancellation can end this wait in time.
                await #expect(throws: CancellationError.self) { try await waiter.value }
            }
        }
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func lease_manyConcurrentCalls_shareTheConnections_andAreAllCountedOut() async throws {
        try await withPool(maximumConnections: 2, acquireTimeout: .seconds(30)) { (database) async throws in
            let results = try await withThrowingTaskGroup(of: Int?.self) { group in
                for _ in 0..<24 { group.addTask { try await selectOne(database) } }
                return try await group.reduce(into: [Int?]()) { $0.append($1) }
            }
            #expect(results == Array(repeating: 1, count: 24))
            #expect(database.gate.calls == 0)
            #expect((1...2).contains(database.gate.knownOpenConnections))
        }
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func lease_afterTheServerClosedTheConnections_forgetsThemAndConnectsAgain() async throws {
        try await withPool(maximumConnections: 2, acquireTimeout: .seconds(30)) { (database) async throws in
            #expect(try await selectOne(database) == 1)
            #expect(database.gate.knownOpenConnections == 1)
            let admin = try await PostgresDatabase.open(
                url: try #require(PostgresTestServer.adminURL), logger: PostgresTestServer.logger, maximumConnections: 1)
            do {
                let name = database.url.database
                try await admin.write { db in
                    try await db.raw(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(bind: name)"
                    ).run()
                }
                try await admin.close()
            } catch {
                try await admin.close()
                throw error
            }
            try await poll("the gate to see the connection close") { database.gate.knownOpenConnections == 0 }
            #expect(try await selectOne(database) == 1)
            #expect(database.gate.knownOpenConnections == 1)
        }
    }

    @Test func leaseWait_timerFiringFirst_endsTheWaitWithATimeout() async throws {
        let wait = PostgresLeaseWait()
        wait.arm(timeout: .milliseconds(1))
        await #expect(throws: PostgresLeaseTimedOut.self) { try await wait.connection() }
    }

    @Test func leaseWait_abandoned_endsTheWaitWithCancellation_andNeverTimesOut() async throws {
        let wait = PostgresLeaseWait()
        wait.abandon()
        wait.arm(timeout: .zero)  // settled already: no timer
        wait.fail(PostgresLeaseTimedOut())  // and a later outcome is ignored
        await #expect(throws: CancellationError.self) { try await wait.connection() }
    }

    @Test func leaseWait_givenBackBeforeTheHelperWaits_releasesItAtOnce() async {
        let wait = PostgresLeaseWait()
        wait.giveBack()
        await wait.heldUntilReturned()
    }
}

/// `SELECT 1` through `database`, decoded.
private func selectOne(_ database: PostgresDatabase) async throws -> Int? {
    try await database.read { db in try await db.raw("SELECT 1 AS n").first(decodingColumn: "n", as: Int.self) }
}

/// Runs `body` while another call holds the pool's only connection, then lets that call finish:
/// it must still run a statement after however long `body` took (the lease itself has no time
/// limit), and the pool must serve calls afterwards, with nothing left counted in the gate.
private func whileTheOnlyConnectionIsHeld(in database: PostgresDatabase, _ body: () async throws -> Void)
    async throws
{
    // Open the connection first, so that the holder leases an idle one: on a loaded machine,
    // opening it may take longer than a short acquire timeout.
    try await poll("a first connection") { (try? await selectOne(database)) == 1 }
    let holding = OneShotSignal()
    let release = OneShotSignal()
    let holder = Task {
        defer { holding.fire() }  // also when the lease fails, so that the test does not hang
        return try await database.read { db in
            holding.fire()
            await release.wait()
            return try await db.raw("SELECT 7 AS n").first(decodingColumn: "n", as: Int.self)
        }
    }
    await holding.wait()
    try #require(database.gate.calls == 1, "the holder has no connection")
    do {
        try await body()
    } catch {
        release.fire()
        _ = try? await holder.value  // the body's error is the one to report
        throw error
    }
    release.fire()
    #expect(try await holder.value == 7)
    #expect(try await selectOne(database) == 1)
    #expect(database.gate.calls == 0)
}

/// A pool of its own on a fresh test database, closed afterwards.
private func withPool(
    maximumConnections: Int, acquireTimeout: Duration, _ body: (PostgresDatabase) async throws -> Void
) async throws {
    try await withTemporaryPostgres { _, url in
        let database = try await PostgresDatabase.open(
            url: url, logger: PostgresTestServer.logger, maximumConnections: maximumConnections,
            acquireTimeout: acquireTimeout)
        do {
            try await body(database)
            try await database.close()
        } catch {
            try await database.close()
            throw error
        }
    }
}
