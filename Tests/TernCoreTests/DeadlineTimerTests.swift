import Synchronization
import TernCore
import Testing

@Suite(.timeLimit(.minutes(1))) struct DeadlineTimerTests {
    @Test func fires_onceTheDelayPassed() async {
        let fired = OneShotSignal()
        let timer = DeadlineTimer(after: .milliseconds(5)) { fired.fire() }
        await fired.wait()
        #expect(fired.isFired)
        timer.cancel()
    }

    @Test func cancelled_neverFires_evenAfterItsDeadline() async {
        let early = OneShotSignal()
        let cancelled = DeadlineTimer(after: .milliseconds(10)) { early.fire() }
        cancelled.cancel()
        // A later timer fires well after the cancelled one's deadline.
        let later = OneShotSignal()
        let witness = DeadlineTimer(after: .milliseconds(60)) { later.fire() }
        await later.wait()
        #expect(!early.isFired)
        witness.cancel()
    }

    @Test func rescheduled_firesAtTheNewDeadlineInstead() async {
        let count = Counter()
        let fired = OneShotSignal()
        let timer = DeadlineTimer(after: .seconds(30)) {
            count.increment()
            fired.fire()
        }
        timer.reschedule(after: .milliseconds(5))
        await fired.wait()
        #expect(count.value == 1)
        timer.cancel()
    }

    @Test func sleepReleasingTimer_returnsAfterTheDuration_andThrowsWhenCancelled() async throws {
        try await sleepReleasingTimer(for: .milliseconds(5))
        try await sleepReleasingTimer(until: .now - .seconds(1))  // a past deadline returns at once
        let started = OneShotSignal()
        let sleeper = Task {
            started.fire()
            try await sleepReleasingTimer(for: .seconds(3600))
        }
        await started.wait()
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }

    @Test func aHugeDelay_neverFires_andDoesNotTrap() async {
        let fired = OneShotSignal()
        let timer = DeadlineTimer(after: .seconds(Int64.max / 2)) { fired.fire() }
        try? await sleepReleasingTimer(for: .milliseconds(20))  // cannot fail: not cancelled
        #expect(!fired.isFired)
        timer.cancel()
    }

    final class Counter: Sendable {
        private let count = Mutex(0)
        func increment() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }
}
