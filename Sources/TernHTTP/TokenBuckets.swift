import Synchronization
import TernCore

/// How fast one bucket refills and how much it holds.
package struct BucketRate: Sendable, Equatable {
    /// Tokens added per minute; 0 means unlimited (the bucket is never consulted).
    package var perMinute: Int
    /// The most tokens the bucket holds: requests allowed back to back after a quiet spell.
    package var burst: Int

    package init(perMinute: Int, burst: Int) {
        self.perMinute = perMinute
        self.burst = burst
    }

    var isUnlimited: Bool { perMinute == 0 }
}

/// Token buckets by key, one token per request, bounded in memory.
///
/// A bucket starts full (``BucketRate/burst`` tokens) and gains `perMinute / 60` tokens a
/// second up to the burst. At most `maxBuckets` are kept: when a new key would go past it, the
/// buckets that refilled completely are dropped (they are the same as absent ones); if that frees
/// less than a quarter, the fullest others go too, which forgives them what they owe. So memory
/// stays at `maxBuckets` entries (about 100 bytes each) however many identities call.
package final class TokenBuckets: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
        var rate: BucketRate

        func tokens(at time: ContinuousClock.Instant) -> Double {
            let elapsed = (time - updated) / .seconds(1)
            return min(Double(rate.burst), tokens + max(0, elapsed) * Double(rate.perMinute) / 60)
        }
    }

    /// The most buckets kept at once.
    package let maxBuckets: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let buckets = Mutex<[String: Bucket]>([:])

    /// - Parameter now: the clock, injected for tests.
    package init(maxBuckets: Int, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.maxBuckets = max(1, maxBuckets)
        self.now = now
    }

    /// Takes one token from each of `keys`' buckets, all or none. Returns `nil` when taken, or the
    /// index of the first bucket without a token and how long until it has one.
    package func take(_ keys: [(key: String, rate: BucketRate)]) -> (index: Int, wait: Duration)? {
        let time = now()
        return buckets.withLock { buckets in
            for (index, entry) in keys.enumerated() where !entry.rate.isUnlimited {
                let tokens = Self.tokens(of: entry, in: buckets, at: time)
                if tokens < 1 { return (index, Self.wait(for: 1 - tokens, at: entry.rate)) }
            }
            for entry in keys where !entry.rate.isUnlimited { takeOne(entry, from: &buckets, at: time) }
            return nil
        }
    }

    /// How long until `key`'s bucket holds a token, or `nil` if it holds one now. Takes nothing.
    package func wait(_ key: String, rate: BucketRate) -> Duration? {
        guard !rate.isUnlimited else { return nil }
        let time = now()
        let tokens = buckets.withLock { Self.tokens(of: (key, rate), in: $0, at: time) }
        return tokens < 1 ? Self.wait(for: 1 - tokens, at: rate) : nil
    }

    /// Takes a token from each of `keys`' buckets without refusing: one that has none stays
    /// empty. For requests that ended before they could be admitted (a bad body), so they
    /// still count.
    package func charge(_ keys: [(key: String, rate: BucketRate)]) {
        let time = now()
        buckets.withLock { buckets in
            for entry in keys where !entry.rate.isUnlimited { takeOne(entry, from: &buckets, at: time) }
        }
    }

    private static func tokens(
        of entry: (key: String, rate: BucketRate), in buckets: [String: Bucket], at time: ContinuousClock.Instant
    ) -> Double {
        buckets[entry.key].map { $0.tokens(at: time) } ?? Double(entry.rate.burst)
    }

    /// Takes a token (never below empty), first making room for a new key.
    private func takeOne(
        _ entry: (key: String, rate: BucketRate), from buckets: inout [String: Bucket], at time: ContinuousClock.Instant
    ) {
        let tokens = Self.tokens(of: entry, in: buckets, at: time)
        if buckets[entry.key] == nil, buckets.count >= maxBuckets { Self.shrink(&buckets, to: maxBuckets, at: time) }
        buckets[entry.key] = Bucket(tokens: max(0, tokens - 1), updated: time, rate: entry.rate)
    }

    /// Buckets kept now.
    package var count: Int { buckets.withLock { $0.count } }

    private static func wait(for missing: Double, at rate: BucketRate) -> Duration {
        .milliseconds(Int((missing * 60_000 / Double(rate.perMinute)).rounded(.up)))
    }

    private static func shrink(_ buckets: inout [String: Bucket], to limit: Int, at time: ContinuousClock.Instant) {
        buckets = buckets.filter { $0.value.tokens(at: time) < Double($0.value.rate.burst) }
        let target = limit - max(1, limit / 4)
        guard buckets.count > target else { return }
        let fullest = buckets.map { (key: $0.key, fill: $0.value.tokens(at: time) / Double($0.value.rate.burst)) }
            .sorted { $0.fill > $1.fill }
        for entry in fullest.prefix(buckets.count - target) { buckets[entry.key] = nil }
    }
}

/// Turns in flight per key, each key capped; an entry exists only while a turn runs, so memory
/// is bounded by the turns running at once.
package final class TurnCounter: Sendable {
    private struct Waiter {
        var key: String
        var atMost: Int
        var signal: OneShotSignal
    }

    private let state = Mutex((running: [String: Int](), waiters: [Waiter]()))

    package init() {}

    /// Counts a turn for `key` if fewer than `limit` run (0: unlimited); `false` otherwise.
    package func begin(_ key: String, limit: Int) -> Bool {
        state.withLock { state in
            let current = state.running[key, default: 0]
            guard limit == 0 || current < limit else { return false }
            state.running[key] = current + 1
            return true
        }
    }

    /// Ends a turn counted by ``begin(_:limit:)``.
    package func end(_ key: String) {
        let released = state.withLock { state -> [OneShotSignal] in
            let remaining = state.running[key, default: 1] - 1
            state.running[key] = remaining > 0 ? remaining : nil
            let isMet = { (waiter: Waiter) in waiter.key == key && waiter.atMost >= remaining }
            let met = state.waiters.filter(isMet).map(\.signal)
            state.waiters.removeAll(where: isMet)
            return met
        }
        for signal in released { signal.fire() }
    }

    /// Turns running for `key`, for tests.
    package func count(_ key: String) -> Int { state.withLock { $0.running[key, default: 0] } }

    /// Returns once at most `count` turns run for `key` (at once if that holds now), or when the
    /// caller is cancelled; for tests, which await a turn's end instead of polling.
    package func waitUntil(_ key: String, runsAtMost count: Int) async {
        let signal = state.withLock { state -> OneShotSignal? in
            guard state.running[key, default: 0] > count else { return nil }
            let signal = OneShotSignal()
            state.waiters.append(Waiter(key: key, atMost: count, signal: signal))
            return signal
        }
        await signal?.wait()
    }
}
