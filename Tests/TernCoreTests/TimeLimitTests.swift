import TernCore
import Testing

@Suite(.timeLimit(.minutes(1))) struct TimeLimitTests {
    struct TooSlow: Error, Equatable {}

    @Test func aFastOperationReturnsItsValue() async throws {
        #expect(try await withTimeLimit(.seconds(30), orThrow: { TooSlow() }) { 42 } == 42)
    }

    @Test func aSlowOperationIsCancelledAndTheGivenErrorThrown() async throws {
        let cancelled = OneShotSignal()
        await #expect(throws: TooSlow()) {
            try await withTimeLimit(.milliseconds(20), orThrow: { TooSlow() }) {
                await withTaskCancellationHandler {
                    await OneShotSignal().wait()  // never fired: only cancellation ends it
                } onCancel: {
                    cancelled.fire()
                }
            }
        }
        #expect(cancelled.isFired)
    }

    @Test func theOperationsOwnErrorPassesThrough() async throws {
        struct Broke: Error, Equatable {}
        await #expect(throws: Broke()) {
            try await withTimeLimit(.seconds(30), orThrow: { TooSlow() }) { () async throws -> Int in throw Broke() }
        }
    }

    @Test func cancellingTheCallerIsNotATimeout() async throws {
        let started = OneShotSignal()
        let task = Task {
            try await withTimeLimit(.seconds(30), orThrow: { TooSlow() }) {
                started.fire()
                try await Task.sleep(for: .seconds(30))
            }
        }
        await started.wait()
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @TaskLocal static var request: String?

    /// The operation runs in a task of its own: it still sees the caller's task-local values.
    @Test func theOperationSeesTheCallersTaskLocals() async throws {
        let seen = try await Self.$request.withValue("r-1") {
            try await withTimeLimit(.seconds(30), orThrow: { TooSlow() }) { Self.request }
        }
        #expect(seen == "r-1")
    }

    /// An operation that ignores cancellation is still awaited (nothing outlives the call); the
    /// limit had passed, so the timeout is what the caller gets.
    @Test func anOperationIgnoringCancellation_isAwaited_andStillTimesOut() async throws {
        let ended = OneShotSignal()
        await #expect(throws: TooSlow()) {
            try await withTimeLimit(.milliseconds(20), orThrow: { TooSlow() }) {
                let start = ContinuousClock.now
                while ContinuousClock.now - start < .milliseconds(200) { await Task.yield() }
                ended.fire()
                return 1
            }
        }
        #expect(ended.isFired, "returned before the operation ended")
    }

    /// The cancel function `arm` gets cancels the operation's task; the caller's cancellation
    /// does too; either way the call returns only once the operation has ended.
    @Test func runCancellable_cancelsByTheArmedFunction_andByTheCaller() async throws {
        let ended = OneShotSignal()
        let result = await runCancellable({
            try await Task.sleep(for: .seconds(30))
        }) { cancel in cancel() }
        #expect(throws: CancellationError.self) { try result.get() }

        let started = OneShotSignal()
        let caller = Task {
            await runCancellable({ () async throws -> Int in
                started.fire()
                defer { ended.fire() }
                try await Task.sleep(for: .seconds(30))
                return 1
            }) { _ in }
        }
        await started.wait()
        caller.cancel()
        let outcome = await caller.value
        #expect(throws: CancellationError.self) { try outcome.get() }
        #expect(ended.isFired)
    }

    @Test func deadlineOutcome_theFirstSideWins() {
        let fired = DeadlineOutcome()
        #expect(fired.fire() && fired.finish())
        let finished = DeadlineOutcome()
        #expect(!finished.finish() && !finished.fire() && !finished.finish())
    }
}
