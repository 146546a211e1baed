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
}
