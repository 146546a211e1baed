import Foundation
import Synchronization
import Testing
import TernCore
import TernTools

final class ManualClock: WallClock, Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    func now() -> Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

@Suite(.timeLimit(.minutes(1))) struct FetchCacheTests {
    func withDirectory(_ body: (URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
        try await body(directory)
    }

    func entry(_ url: String, _ text: String = "body", at date: Date) -> FetchCache.Entry {
        FetchCache.Entry(url: url, fetchedAt: date, contentType: "text/html", title: nil, text: text)
    }

    @Test func evictsByCount_leastRecentlyUsedFirst_andAReadRefreshesRecency() async throws {
        try await withDirectory { directory in
            let clock = ManualClock()
            let cache = FetchCache(directory: directory, limits: .init(maxEntries: 2), clock: clock)
            try await cache.open()
            await cache.put(entry("https://a/", at: clock.now()))
            await cache.put(entry("https://b/", at: clock.now()))
            #expect(await cache.get("https://a/") != nil)  // a is now more recent than b
            await cache.put(entry("https://c/", at: clock.now()))
            #expect(await cache.get("https://b/") == nil)
            #expect(await cache.get("https://a/") != nil)
            #expect(await cache.get("https://c/") != nil)
            let stats = await cache.stats
            #expect(stats.evictions == 1)
            #expect(stats.entries == 2)
            #expect(stats.hits == 3)
            #expect(stats.misses == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).count == 2)
        }
    }

    @Test func evictsByBytes() async throws {
        try await withDirectory { directory in
            let clock = ManualClock()
            let cache = FetchCache(directory: directory, limits: .init(maxEntries: 100, maxBytes: 2500), clock: clock)
            try await cache.open()
            for name in ["a", "b", "c"] {
                await cache.put(entry("https://\(name)/", String(repeating: "x", count: 1000), at: clock.now()))
            }
            let stats = await cache.stats
            #expect(stats.entries == 2)
            #expect(stats.bytes <= 2500)
            #expect(await cache.get("https://a/") == nil)
            #expect(await cache.get("https://c/") != nil)
        }
    }

    @Test func expiredEntries_areMisses_andRemoved() async throws {
        try await withDirectory { directory in
            let clock = ManualClock()
            let cache = FetchCache(directory: directory, limits: .init(ttl: .seconds(60)), clock: clock)
            try await cache.open()
            await cache.put(entry("https://a/", at: clock.now()))
            clock.advance(61)
            #expect(await cache.get("https://a/") == nil)
            #expect(await cache.stats.entries == 0)
        }
    }

    @Test func reopening_keepsEntriesAndTheirRecency_andDropsInterruptedWrites() async throws {
        try await withDirectory { directory in
            let clock = ManualClock()
            let first = FetchCache(directory: directory, limits: .init(maxEntries: 3), clock: clock)
            try await first.open()
            await first.put(entry("https://a/", at: clock.now()))
            await first.put(entry("https://b/", at: clock.now()))
            #expect(FileManager.default.createFile(atPath: directory.appendingPathComponent("x.123.tmp").path, contents: Data("half".utf8)))
            let second = FetchCache(directory: directory, limits: .init(maxEntries: 3), clock: clock)
            try await second.open()
            #expect(await second.get("https://a/")?.text == "body")
            #expect(await second.stats.entries == 2)
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.123.tmp").path))
        }
    }

    @Test func concurrentUse_staysConsistent() async throws {
        try await withDirectory { directory in
            let clock = ManualClock()
            let cache = FetchCache(directory: directory, limits: .init(maxEntries: 20), clock: clock)
            try await cache.open()
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for round in 0..<25 {
                            let url = "https://host/\((worker * 7 + round) % 40)"
                            if await cache.get(url) == nil {
                                await cache.put(entry(url, "page \(url)", at: clock.now()))
                            }
                        }
                    }
                }
            }
            let stats = await cache.stats
            #expect(stats.entries <= 20)
            #expect(stats.hits + stats.misses == 200)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(files.count == stats.entries)
            #expect(!files.contains { $0.hasSuffix(".tmp") })
            for url in (0..<40).map({ "https://host/\($0)" }) {
                if let cached = await cache.get(url) { #expect(cached.text == "page \(url)") }
            }
        }
    }
}
