import Testing
@testable import TernHTTP

/// Token-bucket math on a hand-moved clock, the memory bound, and the turn counter.
@Suite struct RateLimitBucketTests {
    static let rate = BucketRate(perMinute: 60, burst: 3)

    @Test func fullBucket_allowsTheBurst_thenNamesTheWait() {
        let clock = ManualClock()
        let buckets = TokenBuckets(maxBuckets: 10, now: clock.now)
        for _ in 0..<3 { #expect(buckets.take([("a", Self.rate)]) == nil) }
        let refused = buckets.take([("a", Self.rate)])
        #expect(refused?.index == 0)
        #expect(refused?.wait == .seconds(1))
        clock.advance(by: .milliseconds(400))
        #expect(buckets.take([("a", Self.rate)])?.wait == .milliseconds(600))
        clock.advance(by: .milliseconds(600))
        #expect(buckets.take([("a", Self.rate)]) == nil)
    }

    @Test func refill_neverExceedsTheBurst() {
        let clock = ManualClock()
        let buckets = TokenBuckets(maxBuckets: 10, now: clock.now)
        for _ in 0..<3 { _ = buckets.take([("a", Self.rate)]) }
        clock.advance(by: .seconds(3600))
        for _ in 0..<3 { #expect(buckets.take([("a", Self.rate)]) == nil) }
        #expect(buckets.take([("a", Self.rate)]) != nil)
    }

    @Test func severalBuckets_takeAllOrNone() {
        let clock = ManualClock()
        let buckets = TokenBuckets(maxBuckets: 10, now: clock.now)
        for _ in 0..<3 { _ = buckets.take([("key", Self.rate)]) }
        // The key is empty: the user's bucket keeps its token.
        #expect(buckets.take([("user", Self.rate), ("key", Self.rate)])?.index == 1)
        for _ in 0..<3 { #expect(buckets.take([("user", Self.rate)]) == nil) }
    }

    @Test func unlimitedRate_isNeverStored() {
        let buckets = TokenBuckets(maxBuckets: 10, now: ManualClock().now)
        for _ in 0..<100 { #expect(buckets.take([("a", BucketRate(perMinute: 0, burst: 1))]) == nil) }
        #expect(buckets.count == 0)
    }

    @Test func charge_takesWithoutRefusing_andOwesNothingBeyondEmpty() {
        let clock = ManualClock()
        let buckets = TokenBuckets(maxBuckets: 10, now: clock.now)
        for _ in 0..<5 { buckets.charge([("a", Self.rate)]) }
        #expect(buckets.take([("a", Self.rate)])?.wait == .seconds(1))
        clock.advance(by: .seconds(1))
        #expect(buckets.take([("a", Self.rate)]) == nil)
    }

    @Test func manyIdentities_stayWithinTheBound() {
        let clock = ManualClock()
        let buckets = TokenBuckets(maxBuckets: 100, now: clock.now)
        for index in 0..<5000 {
            _ = buckets.take([("user:\(index)", Self.rate)])
            #expect(buckets.count <= 100)
            if index % 7 == 0 { clock.advance(by: .milliseconds(300)) }
        }
        // A caller seen just now still owes its token.
        _ = buckets.take([("recent", Self.rate)])
        _ = buckets.take([("recent", Self.rate)])
        _ = buckets.take([("recent", Self.rate)])
        #expect(buckets.take([("recent", Self.rate)]) != nil)
    }

    @Test func retryAfter_isWholeSecondsRoundedUp_atLeastOne() {
        #expect(RateLimiter.seconds(.milliseconds(1)) == 1)
        #expect(RateLimiter.seconds(.zero) == 1)
        #expect(RateLimiter.seconds(.milliseconds(1001)) == 2)
        #expect(RateLimiter.seconds(.seconds(30)) == 30)
    }

    @Test func turns_areCappedPerKey_andForgottenWhenDone() {
        let turns = TurnCounter()
        #expect(turns.begin("a", limit: 2))
        #expect(turns.begin("a", limit: 2))
        #expect(!turns.begin("a", limit: 2))
        #expect(turns.begin("b", limit: 2))
        turns.end("a")
        #expect(turns.begin("a", limit: 2))
        for _ in 0..<3 { turns.end("a") }
        #expect(turns.count("a") == 0)
        #expect(turns.begin("c", limit: 0))  // 0: unlimited
    }

    @Test func contextList_parses_andRejectsWithTheEntry() throws {
        let parsed = try RateLimitSettings.parseContexts(" research=600/60/16 , public=30/10/0 ")
        #expect(
            parsed == [
                "research": .init(perMinute: 600, burst: 60, maxConcurrentTurns: 16),
                "public": .init(perMinute: 30, burst: 10, maxConcurrentTurns: 0),
            ])
        #expect(try RateLimitSettings.parseContexts("") == [:])
        for (bad, says) in [
            ("research=600/60", "must be NAME=PER_MINUTE/BURST/MAX_TURNS"), ("research", "must be NAME="),
            ("research=600/0/1", "BURST 1–100000"), ("research=x/1/1", "'research=x/1/1'"),
            ("Research=1/1/1", "the context name may contain only"), ("a=1/1/1,a=2/2/2", "context 'a' is listed twice"),
        ] {
            #expect {
                try RateLimitSettings.parseContexts(bad)
            } throws: { error in
                String(describing: error).contains(says)
            }
        }
    }
}
