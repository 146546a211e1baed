import Synchronization
import TernCore

/// What ``SQLMemoryStore`` keeps in this process between recalls, so that a steady-state recall
/// asks the database for its keyword matches and its hits' rows and nothing else: each
/// context's settings row (recorded model, dimension, vector generation, whether some memory
/// has no vector) here, and in
/// ``SQLiteMemoryVectorIndex`` the context's vectors with the moment they were last found
/// unchanged.
///
/// An entry is used while both hold (``EpochCache``'s rule, per context):
/// - no change to its context went through this store since it was read: every write advances
///   the context's epoch once its transaction has ended, so this process never answers from
///   what it changed (a recall that read before the commit keeps its entry under the older
///   epoch, which the next check rejects);
/// - it is younger than `maxAge`: what another process (a replica, `tern memory`) remembered,
///   re-embedded or changed in the settings is used by vector recall within `maxAge`.
///
/// Keyword matches and the hits' rows are read from the database on every recall, so a memory
/// forgotten by any process is never returned.
///
/// Epochs live in a fixed number of stripes (contexts hashed onto them), so memory stays bounded
/// however many contexts are written; contexts sharing a stripe only refresh each other early.
final class MemoryRecallCache: Sendable {
    /// When and under which epoch an entry was read.
    struct Stamp: Sendable, Equatable {
        /// The context's epoch before the read.
        var epoch: UInt64
        /// The time before the read.
        var readAt: ContinuousClock.Instant
    }

    /// How stale a cached entry may be when another process changed it: 5 seconds.
    static let defaultMaxAge: Duration = .seconds(5)
    /// Epoch stripes.
    static let stripeCount = 256

    let maxAge: Duration
    private let capacity: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let stripes = Mutex<[UInt64]>(Array(repeating: 0, count: stripeCount))
    private let settingsRows = Mutex<[ContextID: (row: SQLMemoryStore.SettingsRow, stamp: Stamp)]>([:])

    /// - Parameters:
    ///   - maxAge: how long an entry is trusted against changes by other processes; `.zero`
    ///     reads every time.
    ///   - capacity: the most contexts whose settings are kept (all are dropped when full).
    ///   - now: the clock, injectable for tests.
    init(
        maxAge: Duration, capacity: Int = 4096, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.maxAge = maxAge
        self.capacity = max(1, capacity)
        self.now = now
    }

    /// The stamp for a read of `context` about to start.
    func stamp(of context: ContextID) -> Stamp {
        Stamp(epoch: epoch(of: context), readAt: now())
    }

    /// Whether an entry of `context` read under `stamp` may still be used.
    func isFresh(_ stamp: Stamp, of context: ContextID) -> Bool {
        stamp.epoch == epoch(of: context) && now() - stamp.readAt < maxAge
    }

    /// Marks that `context`'s memories or settings changed (call after the change committed,
    /// or failed: an extra refresh is harmless).
    func changed(_ context: ContextID) {
        let stripe = Self.stripe(of: context)
        stripes.withLock { $0[stripe] &+= 1 }
    }

    /// The context's settings row, cached, or what `load` reads (then cached under the stamp
    /// taken before it ran).
    func settings(
        of context: ContextID, load: () async throws -> SQLMemoryStore.SettingsRow
    ) async throws -> SQLMemoryStore.SettingsRow {
        if let cached = settingsRows.withLock({ $0[context] }), isFresh(cached.stamp, of: context) { return cached.row }
        let stamp = stamp(of: context)
        let row = try await load()
        settingsRows.withLock { rows in
            if rows.count >= capacity, rows[context] == nil { rows.removeAll(keepingCapacity: true) }
            rows[context] = (row, stamp)
        }
        return row
    }

    private func epoch(of context: ContextID) -> UInt64 {
        let stripe = Self.stripe(of: context)
        return stripes.withLock { $0[stripe] }
    }

    private static func stripe(of context: ContextID) -> Int {
        Int(UInt(bitPattern: context.hashValue) % UInt(stripeCount))
    }
}
