import Synchronization
import TernCore
import Testing

@Suite struct EpochCacheTests {
    final class Clock: Sendable {
        let start = ContinuousClock.now
        private let offset = Mutex<Duration>(.zero)
        func advance(_ by: Duration) { offset.withLock { $0 += by } }
        var now: ContinuousClock.Instant { start + offset.withLock { $0 } }
    }

    final class Loads: Sendable {
        private let count = Mutex(0)
        func load(_ value: String?) -> String? {
            count.withLock { $0 += 1 }
            return value
        }
        var value: Int { count.withLock { $0 } }
    }

    func make(capacity: Int = 8) -> (EpochCache<String, String>, MembershipEpoch, Clock) {
        let epoch = MembershipEpoch()
        let clock = Clock()
        return (EpochCache(epoch: epoch, maxAge: .seconds(5), capacity: capacity, now: { clock.now }), epoch, clock)
    }

    @Test func aValueIsReused_untilTheEpochMoves() async {
        let (cache, epoch, _) = make()
        let loads = Loads()
        #expect(await cache.value(for: "k") { loads.load("a") } == "a")
        #expect(await cache.value(for: "k") { loads.load("b") } == "a")
        #expect(loads.value == 1)
        epoch.advance()
        #expect(await cache.value(for: "k") { loads.load("b") } == "b")
        #expect(loads.value == 2)
    }

    @Test func aValueIsReused_untilItIsOlderThanMaxAge() async {
        let (cache, _, clock) = make()
        let loads = Loads()
        _ = await cache.value(for: "k") { loads.load("a") }
        clock.advance(.seconds(4))
        #expect(await cache.value(for: "k") { loads.load("b") } == "a")
        clock.advance(.seconds(1))
        #expect(await cache.value(for: "k") { loads.load("b") } == "b")
    }

    @Test func aMiss_isNotCached() async {
        let (cache, _, _) = make()
        let loads = Loads()
        #expect(await cache.value(for: "k") { loads.load(nil) } == nil)
        #expect(await cache.value(for: "k") { loads.load("a") } == "a")
        #expect(loads.value == 2)
    }

    @Test func aValueReadWhileTheEpochMoved_isNotServedAfterwards() async {
        let (cache, epoch, _) = make()
        // The change lands while the old value is being read.
        _ = await cache.value(for: "k") {
            epoch.advance()
            return "stale"
        }
        #expect(await cache.value(for: "k") { "fresh" } == "fresh")
    }

    @Test func theCacheStaysWithinItsCapacity() async {
        let (cache, _, clock) = make(capacity: 8)
        for i in 0..<100 {
            _ = await cache.value(for: "k\(i)") { "v\(i)" }
            if i == 50 { clock.advance(.seconds(10)) }
            #expect(cache.count <= 8)
        }
    }

    @Test func update_changesAHeldEntryInPlace_andNothingElse() async {
        let (cache, _, _) = make()
        let loads = Loads()
        #expect(cache.update("k") { $0 += "!" } == nil)
        _ = await cache.value(for: "k") { loads.load("a") }
        #expect(cache.update("k") { $0 += "!" } == "a!")
        #expect(await cache.value(for: "k") { loads.load("b") } == "a!")
        #expect(loads.value == 1)
        #expect(cache.count == 1)
    }
}
