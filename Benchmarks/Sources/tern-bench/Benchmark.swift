import Foundation
import SQLKit
import TernCore
import TernStore
import TernTesting

/// Times the store's read paths through ``SQLConversationStore``, one call at a time and then
/// with several concurrent readers, on conversations picked at random (fixed seed). A bare
/// `SELECT 1` through the same ``DatabaseHandle`` gives the floor: one round trip, no table.
struct Benchmark {
    let database: any DatabaseHandle
    let store: SQLConversationStore
    let entries: [SeededConversation]
    let samples: Int
    let concurrency: Int

    static let warmUp = 100
    static let historyLimit = 50

    /// One timed store call on a seeded conversation; throws if the answer is wrong.
    typealias Operation = @Sendable (SeededConversation) async throws -> Duration

    func run() async throws {
        var random = SplitMix64(seed: 42)
        let picks = (0..<(Self.warmUp + samples)).map { _ in entries.randomElement(using: &random)! }
        let operations: [(String, Operation)] = [
            ("SELECT 1 (handle floor)", roundTrip), ("conversation(in:platform:platformID:)", lookup),
            ("history(of:in:limit: 50)", history), ("currentSession(of:in:)", currentSession),
        ]
        out("\nlatency per call in microseconds (each row after \(Self.warmUp) uncounted warm-up calls)")
        out(
            pad("operation", 38) + pad("readers", 8, right: true) + pad("calls", 7, right: true)
                + ["p50", "p99", "max", "mean"].map { pad($0, 10, right: true) }.joined() + pad("calls/s", 10, right: true))
        for readers in concurrency > 1 ? [1, concurrency] : [1] {
            for (name, operation) in operations {
                // Warm up with as many readers, so pools have their connections before timing.
                _ = try await Self.measure(operation, Array(picks.prefix(Self.warmUp)), readers: readers)
                let clock = ContinuousClock()
                let start = clock.now
                let times = try await Self.measure(operation, Array(picks.dropFirst(Self.warmUp)), readers: readers)
                let stats = Stats(times, wall: clock.now - start)
                out(
                    pad(name, 38) + pad("\(readers)", 8, right: true) + pad("\(times.count)", 7, right: true)
                        + [stats.p50, stats.p99, stats.max, stats.mean].map { pad(String(format: "%.0f", $0), 10, right: true) }
                        .joined() + pad(String(format: "%.0f", stats.perSecond), 10, right: true))
            }
        }
    }

    /// Runs `operation` on every pick, split among `readers` concurrent tasks.
    private static func measure(_ operation: @escaping Operation, _ picks: [SeededConversation], readers: Int)
        async throws -> [Duration]
    {
        try await withThrowingTaskGroup(of: [Duration].self) { group in
            for reader in 0..<readers {
                let mine = stride(from: reader, to: picks.count, by: readers).map { picks[$0] }
                group.addTask {
                    var times: [Duration] = []
                    for entry in mine { times.append(try await operation(entry)) }
                    return times
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    private var roundTrip: Operation {
        { [database] _ in
            let start = ContinuousClock.now
            let row = try await database.read { db in try await db.raw("SELECT 1 AS n").first() }
            let elapsed = ContinuousClock.now - start
            try expect(try row?.decode(column: "n", as: Int.self) == 1, "SELECT 1 answered \(String(describing: row))")
            return elapsed
        }
    }

    private var lookup: Operation {
        { [store] entry in
            let start = ContinuousClock.now
            let conversation = try await store.conversation(
                in: .defaultContext, platform: Seeder.platform, platformID: entry.platformID)
            let elapsed = ContinuousClock.now - start
            try expect(conversation.id == entry.conversation, "lookup of \(entry.platformID) found \(conversation.id)")
            return elapsed
        }
    }

    private var history: Operation {
        { [store] entry in
            let start = ContinuousClock.now
            let messages = try await store.history(of: entry.session, in: .defaultContext, limit: Self.historyLimit)
            let elapsed = ContinuousClock.now - start
            try expect(
                messages.count == min(Self.historyLimit, entry.messageCount)
                    && messages.allSatisfy { $0.sessionID == entry.session },
                "history of \(entry.session) returned \(messages.count) messages")
            return elapsed
        }
    }

    private var currentSession: Operation {
        { [store] entry in
            let start = ContinuousClock.now
            let session = try await store.currentSession(of: entry.conversation, in: .defaultContext)
            let elapsed = ContinuousClock.now - start
            try expect(session.id == entry.session, "current session of \(entry.conversation) is \(session.id)")
            return elapsed
        }
    }
}

private func expect(_ condition: Bool, _ problem: @autoclosure () -> String) throws {
    if !condition { throw BenchError("wrong answer: \(problem())") }
}

/// Percentiles (nearest rank), maximum and mean of call durations, in microseconds.
struct Stats {
    let p50, p99, max, mean, perSecond: Double

    init(_ times: [Duration], wall: Duration) {
        let sorted = times.map(microseconds).sorted()
        func rank(_ p: Double) -> Double { sorted[Swift.max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1)] }
        p50 = rank(0.50)
        p99 = rank(0.99)
        max = sorted.last ?? 0
        mean = sorted.reduce(0, +) / Double(sorted.count)
        perSecond = Double(sorted.count) / (microseconds(wall) / 1_000_000)
    }
}
