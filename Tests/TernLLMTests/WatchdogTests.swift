import Dispatch
import Synchronization
import TernCore
import Testing

@testable import TernLLM

/// The model call's watchdog: one timer, moved by touches, that cancels the call's task.
@Suite(.timeLimit(.minutes(1))) struct WatchdogTests {
    /// Touches the watchdog after each pause, then waits until the call is cancelled and ends
    /// with `CancellationError`, as a cancelled HTTP call does.
    static func waitForCancellation(_ watchdog: Watchdog, touches: [Duration] = []) async throws {
        for pause in touches {
            try await Task.sleep(for: pause)
            watchdog.touch()
        }
        while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
        throw CancellationError()
    }

    @Test func noHead_firesTheHeadLimit() async throws {
        let limits = CallLimits(head: .milliseconds(50), idle: .seconds(30), total: nil)
        await #expect(throws: ModelError.timeout(endpoint: "e", seconds: 0.05)) {
            try await withWatchdog(limits, endpoint: "e") { try await Self.waitForCancellation($0) }
        }
    }

    /// The first touch (the head arrived) can bring the deadline forward, from the head limit
    /// to the idle one: the timer moves with it instead of waiting out the head limit.
    @Test func theFirstTouch_bringsTheDeadlineForward() async throws {
        let limits = CallLimits(head: .seconds(20), idle: .milliseconds(100), total: nil)
        let start = ContinuousClock.now
        await #expect(throws: ModelError.timeout(endpoint: "e", seconds: 0.1)) {
            try await withWatchdog(limits, endpoint: "e") { watchdog in
                try await Self.waitForCancellation(watchdog, touches: [.milliseconds(10)])
            }
        }
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    /// Touches within the idle limit keep the call alive past it; the total limit still ends it.
    /// The touches come from a Dispatch timer, as chunks come from NIO's threads: the whole suite
    /// runs at once on two cores, and a task sleeping between touches can wake a second late.
    @Test func touches_keepItAlive_untilTheTotalLimit() async throws {
        // A generous head limit: under the suite's load the call's task itself may start late.
        let limits = CallLimits(head: .seconds(5), idle: .milliseconds(500), total: .seconds(2))
        let start = ContinuousClock.now
        await #expect(throws: ModelError.timeout(endpoint: "e", seconds: 2)) {
            try await withWatchdog(limits, endpoint: "e") { watchdog in
                let toucher = DispatchSource.makeTimerSource(queue: .global())
                toucher.schedule(deadline: .now(), repeating: .milliseconds(50))
                toucher.setEventHandler { watchdog.touch() }
                toucher.activate()
                defer { toucher.cancel() }
                try await Task.sleep(for: .seconds(30))  // ended by the watchdog's cancellation
            }
        }
        #expect(ContinuousClock.now - start >= .seconds(2))
    }

    /// A call that ends first gets its value back.
    @Test func aCallThatEndsInTime_returnsItsValue() async throws {
        let limits = CallLimits(head: .seconds(30), idle: .seconds(30), total: nil)
        #expect(try await withWatchdog(limits, endpoint: "e") { _ in 7 } == 7)
    }

    /// Disarmed (the call ended), the watchdog never fires or cancels, though its deadline passes.
    @Test func aDisarmedWatchdog_neverFires() async throws {
        let watchdog = Watchdog(limits: CallLimits(head: .milliseconds(500), idle: .seconds(30), total: nil))
        let cancelled = Mutex(false)
        watchdog.arm { cancelled.withLock { $0 = true } }
        watchdog.disarm()
        try await Task.sleep(for: .seconds(1))
        #expect(watchdog.fired == nil && !cancelled.withLock { $0 })
    }
}
