import Synchronization

/// A bounded least-recently-used cache of embeddings, keyed by a hash of the model and the text,
/// so the same text (a repeated question, a re-ingested chunk) is embedded once.
///
/// Lookups and inserts are O(1): entries sit in a doubly linked list kept in arrays (no
/// per-entry allocation), the most recently used at the head.
package final class EmbeddingCache: Sendable {
    /// Hits, misses and evictions since start, for status and benchmarks.
    package struct Stats: Sendable, Equatable {
        package var hits = 0
        package var misses = 0
        package var evictions = 0
        package var entries = 0
    }

    private struct Storage {
        var index: [String: Int] = [:]
        var keys: [String] = []
        var vectors: [[Float]] = []
        var previous: [Int] = []
        var next: [Int] = []
        var head = -1
        var tail = -1
        var stats = Stats()

        mutating func unlink(_ slot: Int) {
            if previous[slot] >= 0 { next[previous[slot]] = next[slot] } else { head = next[slot] }
            if next[slot] >= 0 { previous[next[slot]] = previous[slot] } else { tail = previous[slot] }
        }

        mutating func pushFront(_ slot: Int) {
            previous[slot] = -1
            next[slot] = head
            if head >= 0 { previous[head] = slot }
            head = slot
            if tail < 0 { tail = slot }
        }
    }

    /// The most entries kept.
    package let capacity: Int
    private let storage = Mutex(Storage())

    /// A cache of at most `capacity` vectors (at least 1).
    package init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The vector stored under `key`, marking it most recently used.
    package func vector(for key: String) -> [Float]? {
        storage.withLock { storage in
            guard let slot = storage.index[key] else {
                storage.stats.misses += 1
                return nil
            }
            storage.stats.hits += 1
            storage.unlink(slot)
            storage.pushFront(slot)
            return storage.vectors[slot]
        }
    }

    /// Stores `vector` under `key`, evicting the least recently used entry when full.
    package func store(_ vector: [Float], for key: String) {
        storage.withLock { storage in
            if let slot = storage.index[key] {
                storage.vectors[slot] = vector
                storage.unlink(slot)
                storage.pushFront(slot)
                return
            }
            let slot: Int
            if storage.keys.count < capacity {
                slot = storage.keys.count
                storage.keys.append(key)
                storage.vectors.append(vector)
                storage.previous.append(-1)
                storage.next.append(-1)
            } else {
                slot = storage.tail
                storage.unlink(slot)
                storage.index[storage.keys[slot]] = nil
                storage.stats.evictions += 1
                storage.keys[slot] = key
                storage.vectors[slot] = vector
            }
            storage.index[key] = slot
            storage.pushFront(slot)
        }
    }

    /// Counts so far.
    package var stats: Stats {
        storage.withLock { storage in
            var stats = storage.stats
            stats.entries = storage.index.count
            return stats
        }
    }
}
