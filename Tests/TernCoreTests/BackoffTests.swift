import Testing
import TernCore
import TernTesting

/// The one backoff: ceilings double from the base up to the cap, jitter takes its share at random
/// (full jitter by default), and a server's own wait wins, capped.
@Suite struct BackoffTests {
    @Test func ceiling_doublesFromTheBase_upToTheCap() {
        let backoff = Backoff(base: .milliseconds(100), cap: .seconds(1))
        #expect(
            (0..<6).map { backoff.ceiling(forAttempt: $0) } == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1),
            ])
        #expect(backoff.ceiling(forAttempt: -3) == .milliseconds(100))
        #expect(backoff.ceiling(forAttempt: .max) == .seconds(1))
    }

    @Test func fullJitter_isTheDefault_andSpansZeroToTheCeiling() {
        let backoff = Backoff(base: .seconds(1), cap: .seconds(30))
        #expect(backoff.jitter == 1)
        #expect(backoff.delay(forAttempt: 2, unit: 0) == .seconds(4))
        #expect(backoff.delay(forAttempt: 2, unit: 0.75) == .seconds(1))
        #expect(backoff.delay(forAttempt: 2, unit: 1) == .zero)
    }

    @Test func seededDraws_stayWithinTheJitterRange_andSpreadOut() {
        for (jitter, lowest) in [(1.0, 0.0), (0.5, 0.5), (0.0, 1.0)] {
            let backoff = Backoff(base: .milliseconds(100), cap: .seconds(2), jitter: jitter)
            var generator = SplitMix64(seed: 42)
            for attempt in 0..<8 {
                let ceiling = backoff.ceiling(forAttempt: attempt)
                let delays = (0..<50).map { _ in backoff.delay(forAttempt: attempt, using: &generator) }
                #expect(delays.allSatisfy { $0 >= ceiling * lowest && $0 <= ceiling }, "jitter \(jitter)")
                // A random share spreads the delays; none leaves them all equal.
                #expect((Set(delays).count > 1) == (jitter > 0), "jitter \(jitter)")
            }
        }
        var first = SplitMix64(seed: 7)
        var second = SplitMix64(seed: 7)
        let backoff = Backoff(base: .seconds(1), cap: .seconds(60))
        #expect(backoff.delay(forAttempt: 3, using: &first) == backoff.delay(forAttempt: 3, using: &second))
    }

    @Test func retryAfter_takesPrecedence_unjittered_andCapped() {
        let backoff = Backoff(base: .seconds(1), cap: .seconds(30), retryAfterCap: .seconds(60))
        #expect(backoff.delay(forAttempt: 5, retryAfter: .seconds(3), unit: 0.9) == .seconds(3))
        #expect(backoff.delay(forAttempt: 0, retryAfter: .seconds(45), unit: 0) == .seconds(45))
        #expect(backoff.delay(forAttempt: 0, retryAfter: .seconds(3600), unit: 0) == .seconds(60))
        #expect(backoff.delay(forAttempt: 0, retryAfter: .seconds(-5), unit: 0) == .zero)
        // Without its own cap, a server's wait is capped like the backoff.
        #expect(Backoff(base: .seconds(1), cap: .seconds(30)).delay(forAttempt: 0, retryAfter: .seconds(45)) == .seconds(30))
    }

    @Test func outOfRangeInputs_areClamped() {
        let backoff = Backoff(base: .seconds(1), cap: .seconds(8), jitter: 3)
        #expect(backoff.jitter == 1)
        #expect(Backoff(base: .seconds(1), cap: .seconds(8), jitter: -1).jitter == 0)
        #expect(backoff.delay(forAttempt: 0, unit: -2) == .seconds(1))
        #expect(backoff.delay(forAttempt: 0, unit: .nan) == .seconds(1))
    }
}
