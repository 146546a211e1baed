import Synchronization

/// A small bounded cache for values read on every request (API keys, users, memberships, a
/// context's tool permissions), so a steady-state turn does not re-read them.
///
/// An entry is used while both hold:
/// - the ``MembershipEpoch`` has not moved since it was read: every change made through this
///   process's stores advances it, so this process never serves a value it changed;
/// - it is younger than `maxAge`: changes made by *another* replica are seen within `maxAge`.
///
/// Only found values are cached (a miss is asked again next time), and at most `capacity`
/// entries are kept: when full, expired entries are dropped, and if none are, everything is.
package final class EpochCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry: Sendable {
        var value: Value
        var epoch: UInt64
        var readAt: ContinuousClock.Instant
    }

    private let epoch: MembershipEpoch
    private let maxAge: Duration
    private let capacity: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let entries = Mutex<[Key: Entry]>([:])

    /// - Parameters:
    ///   - epoch: advanced on every change of what is cached.
    ///   - maxAge: how stale an entry may be (changes by other replicas show within it).
    ///   - capacity: the most entries kept.
    ///   - now: the clock, injectable for tests.
    package init(
        epoch: MembershipEpoch, maxAge: Duration, capacity: Int = 4096,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.epoch = epoch
        self.maxAge = maxAge
        self.capacity = max(1, capacity)
        self.now = now
    }

    /// The cached value for `key`, or what `load` finds (cached when not `nil`).
    package func value(for key: Key, load: () async throws -> Value?) async rethrows -> Value? {
        let current = epoch.current
        let time = now()
        if let hit = entries.withLock({ $0[key] }), hit.epoch == current, time - hit.readAt < maxAge {
            return hit.value
        }
        guard let loaded = try await load() else { return nil }
        store(loaded, for: key, epoch: current, at: time)
        return loaded
    }

    /// Replaces the entry for `key` (e.g. after this process changed the value itself).
    package func set(_ value: Value, for key: Key) {
        store(value, for: key, epoch: epoch.current, at: now())
    }

    /// Changes the entry for `key` in place, if one is held (keeping its age and epoch): for a
    /// change that must not empty every cache, such as a user's last-seen time.
    /// - Returns: the changed value, or `nil` when nothing was held.
    @discardableResult
    package func update(_ key: Key, _ change: (inout Value) -> Void) -> Value? {
        entries.withLock { entries in
            guard var entry = entries[key] else { return nil }
            change(&entry.value)
            entries[key] = entry
            return entry.value
        }
    }

    /// How many entries are held (for tests and diagnostics).
    package var count: Int { entries.withLock { $0.count } }

    private func store(_ value: Value, for key: Key, epoch read: UInt64, at time: ContinuousClock.Instant) {
        let maxAge = self.maxAge
        let capacity = self.capacity
        entries.withLock { entries in
            if entries[key] == nil, entries.count >= capacity {
                let current = epoch.current
                entries = entries.filter { $0.value.epoch == current && time - $0.value.readAt < maxAge }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            // Read under an older epoch: still worth keeping until the next check rejects it.
            entries[key] = Entry(value: value, epoch: read, readAt: time)
        }
    }
}
