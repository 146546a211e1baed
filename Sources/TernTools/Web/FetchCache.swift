import Crypto
package import Foundation
#if canImport(Glibc)
    import Glibc
#endif
package import Logging
package import TernCore

/// The disk cache of `web_fetch`: one file per URL (named by the SHA-256 of the URL) in the data
/// dir, with a time to live, caps on entry count and total bytes, and true LRU eviction (a read
/// refreshes recency; the file's modification time keeps recency across restarts). Writes are
/// atomic (temporary file, then rename); file I/O runs on a queue of its own, never on the
/// concurrency pool; the index is an actor, so concurrent use is safe.
package actor FetchCache {
    /// Bounds of the cache.
    package struct Limits: Sendable, Equatable {
        package var ttl: Duration
        package var maxEntries: Int
        package var maxBytes: Int

        package init(ttl: Duration = .seconds(3600), maxEntries: Int = 1000, maxBytes: Int = 64 * 1024 * 1024) {
            self.ttl = ttl
            self.maxEntries = maxEntries
            self.maxBytes = maxBytes
        }
    }

    /// Counters for diagnostics.
    package struct Stats: Sendable, Equatable {
        package var hits = 0
        package var misses = 0
        package var evictions = 0
        package var entries = 0
        package var bytes = 0
    }

    /// A cached page.
    package struct Entry: Sendable, Equatable, Codable {
        package var url: String
        package var fetchedAt: Date
        package var contentType: String?
        package var title: String?
        package var text: String
        /// `text.count`, kept so a hit need not count the characters of a long page again.
        package var characters: Int

        package init(url: String, fetchedAt: Date, contentType: String?, title: String?, text: String) {
            self.url = url
            self.fetchedAt = fetchedAt
            self.contentType = contentType
            self.title = title
            self.text = text
            self.characters = text.count
        }
    }

    private struct Slot {
        var bytes: Int
        var lastUsed: UInt64
        var fetchedAt: Date
    }

    private let directory: URL
    private let limits: Limits
    private let clock: any WallClock
    private let logger: Logger
    private let io = DispatchQueue(label: "tern.tools.fetch-cache.io")
    private var index: [String: Slot] = [:]
    private var tick: UInt64 = 0
    private var counters = Stats()

    package init(
        directory: URL, limits: Limits = Limits(), clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "tern.tools.web_fetch.cache")
    ) {
        self.directory = directory
        self.limits = limits
        self.clock = clock
        self.logger = logger
    }

    /// The counters and current size.
    package var stats: Stats {
        var stats = counters
        stats.entries = index.count
        stats.bytes = index.values.reduce(0) { $0 + $1.bytes }
        return stats
    }

    /// Reads what earlier runs left (oldest use first), drops leftovers of interrupted writes,
    /// and evicts down to the limits. Call once before use.
    package func open() async throws {
        let directory = self.directory
        let found = try await perform {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var files: [(String, Int, Date)] = []
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                let url = directory.appendingPathComponent(name)
                if name.hasSuffix(".tmp") {
                    try? FileManager.default.removeItem(at: url)  // an interrupted write; nothing to keep
                    continue
                }
                guard name.hasSuffix(".json") else { continue }
                let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
                let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
                let modified = attributes[.modificationDate] as? Date ?? .distantPast
                files.append((String(name.dropLast(5)), size, modified))
            }
            return files.sorted { $0.2 < $1.2 }
        }
        for (key, size, _) in found {
            tick += 1
            index[key] = Slot(bytes: size, lastUsed: tick, fetchedAt: .distantPast)
        }
        await evict()
    }

    /// The fresh entry for `url`, or `nil` (missing, expired or unreadable).
    package func get(_ url: String) async -> Entry? {
        let key = Self.key(for: url)
        guard index[key] != nil else {
            counters.misses += 1
            return nil
        }
        let file = path(key)
        do {
            let data = try await perform { try Data(contentsOf: file) }
            let entry = try JSONDecoder().decode(Entry.self, from: data)
            guard entry.url == url, clock.now().timeIntervalSince(entry.fetchedAt) < limits.ttl.timeInterval else {
                counters.misses += 1
                await remove(key)
                return nil
            }
            tick += 1
            index[key]?.lastUsed = tick
            let now = clock.now()
            io.async {
                // Recency survives a restart through the modification time; best effort.
                try? FileManager.default.setAttributes([.modificationDate: now], ofItemAtPath: file.path)
            }
            counters.hits += 1
            return entry
        } catch {
            logger.warning("unreadable cache entry dropped", metadata: ["file": "\(file.path)", "error": "\(error)"])
            counters.misses += 1
            await remove(key)
            return nil
        }
    }

    /// Stores `entry` (replacing an older one), then evicts the least recently used entries
    /// until the cache is within its limits. A write failure is logged; the cache stays usable.
    package func put(_ entry: Entry) async {
        let key = Self.key(for: entry.url)
        let file = path(key)
        let temporary = directory.appendingPathComponent("\(key).\(UUID().uuidString).tmp")
        do {
            let data = try JSONEncoder().encode(entry)
            guard data.count <= limits.maxBytes else { return }  // would evict everything else
            try await perform {
                try data.write(to: temporary)
                guard rename(temporary.path, file.path) == 0 else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
                }
            }
            tick += 1
            index[key] = Slot(bytes: data.count, lastUsed: tick, fetchedAt: entry.fetchedAt)
            await evict()
        } catch {
            logger.warning("could not write a cache entry", metadata: ["file": "\(file.path)", "error": "\(error)"])
            try? FileManager.default.removeItem(at: temporary)  // may not exist
        }
    }

    private func evict() async {
        var bytes = index.values.reduce(0) { $0 + $1.bytes }
        while index.count > limits.maxEntries || bytes > limits.maxBytes,
            let oldest = index.min(by: { $0.value.lastUsed < $1.value.lastUsed })
        {
            bytes -= oldest.value.bytes
            counters.evictions += 1
            await remove(oldest.key)
        }
    }

    private func remove(_ key: String) async {
        index[key] = nil
        let file = path(key)
        do {
            try await perform { try FileManager.default.removeItem(at: file) }
        } catch CocoaError.fileNoSuchFile {
            // Already gone (a concurrent removal); nothing to do.
        } catch {
            logger.warning("could not delete a cache entry", metadata: ["file": "\(file.path)", "error": "\(error)"])
        }
    }

    private func path(_ key: String) -> URL { directory.appendingPathComponent("\(key).json") }

    static func key(for url: String) -> String {
        lowercaseHex(SHA256.hash(data: Data(url.utf8)))
    }

    private func perform<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            io.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
