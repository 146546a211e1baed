import Synchronization
package import TernCore

/// Each context's memory preferences as last read, so a turn does not read them every time:
/// an entry is used for `maxAge` (a change made by another replica or `tern memory settings`
/// shows within it) and dropped at once by a change made through this process's
/// ``MemoryService/setPreferences(_:in:)``. At most `capacity` contexts are kept.
package final class PreferencesCache: Sendable {
    private struct Entry {
        var preferences: MemoryPreferences
        var readAt: ContinuousClock.Instant
    }

    let maxAge: Duration
    let capacity: Int
    private let entries = Mutex<[ContextID: Entry]>([:])

    /// A cache trusting an entry for `maxAge`.
    package init(maxAge: Duration, capacity: Int = 4096) {
        self.maxAge = maxAge
        self.capacity = max(1, capacity)
    }

    /// The preferences of `context` if read within `maxAge`.
    package func preferences(of context: ContextID) -> MemoryPreferences? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[context], now - entry.readAt < maxAge else { return nil }
            return entry.preferences
        }
    }

    /// Remembers what was just read.
    func store(_ preferences: MemoryPreferences, of context: ContextID) {
        let now = ContinuousClock.now
        entries.withLock { entries in
            if entries.count >= capacity, entries[context] == nil { entries.removeAll() }
            entries[context] = Entry(preferences: preferences, readAt: now)
        }
    }

    /// Forgets `context` (its preferences changed).
    func remove(_ context: ContextID) {
        _ = entries.withLock { $0.removeValue(forKey: context) }
    }
}
