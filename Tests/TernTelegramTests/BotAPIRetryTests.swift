import Logging
import Synchronization
import TernCore
import Testing

@testable import TernTelegram

@Suite(.timeLimit(.minutes(1))) struct BotAPIRetryTests {
    private let logger: Logger = {
        var logger = Logger(label: "tern.telegram.api")
        logger.logLevel = .error  // retries log warnings; keep test output readable
        return logger
    }()

    @Test func delay_retryAfterIsHonouredExactlyAndCapped() {
        let retry = BotAPIRetry(maxRetryAfter: .seconds(60))
        #expect(retry.backoff.delay(forAttempt: 0, retryAfter: .seconds(3), unit: 1) == .seconds(3))
        #expect(retry.backoff.delay(forAttempt: 5, retryAfter: .zero) == .zero)
        #expect(retry.backoff.delay(forAttempt: 0, retryAfter: .seconds(3600)) == .seconds(60))
    }

    @Test func delay_backoffDoublesWithJitterUpToTheCap() {
        let retry = BotAPIRetry(baseDelay: .milliseconds(500), maxDelay: .seconds(30))
        #expect(retry.backoff.delay(forAttempt: 0, unit: 0) == .milliseconds(500))
        #expect(retry.backoff.delay(forAttempt: 0, unit: 1) == .milliseconds(250))
        #expect(retry.backoff.delay(forAttempt: 3, unit: 0) == .seconds(4))
        #expect(retry.backoff.delay(forAttempt: 40, unit: 0) == .seconds(30))
    }

    @Test func run_finalFailure_isNotRetried() async {
        let sleeps = SleepRecorder()
        let attempts = Mutex(0)
        await #expect(throws: BotAPIError.unauthorized(method: "getMe")) {
            try await BotAPIRetry(sleep: sleeps.sleep).run(method: "getMe", logger: logger) { _ -> Int in
                attempts.withLock { $0 += 1 }
                throw BotAPIAttemptFailure.final(.unauthorized(method: "getMe"))
            }
        }
        #expect(attempts.withLock { $0 } == 1)
        #expect(sleeps.delays.isEmpty)
    }

    @Test func run_passesTheAttemptNumberAndStopsAtMaxRetries() async {
        let sleeps = SleepRecorder()
        let seen = Mutex<[Int]>([])
        await #expect(throws: BotAPIError.transport(method: "getMe", reason: "refused")) {
            try await BotAPIRetry(maxRetries: 3, sleep: sleeps.sleep).run(method: "getMe", logger: logger) { attempt -> Int in
                seen.withLock { $0.append(attempt) }
                throw BotAPIAttemptFailure.retryable(.transport(method: "getMe", reason: "refused"))
            }
        }
        #expect(seen.withLock { $0 } == [0, 1, 2, 3])
        #expect(sleeps.delays.count == 3)
    }

    @Test func run_cancelledDuringBackoff_stopsAtOnce() async {
        let sleeping = OneShotSignal()
        let attempts = Mutex(0)
        let retry = BotAPIRetry(maxRetries: 5) { delay in
            sleeping.fire()
            try await Task.sleep(for: .seconds(3600))
        }
        let logger = logger
        let task = Task {
            try await retry.run(method: "sendMessage", logger: logger) { _ -> Int in
                attempts.withLock { $0 += 1 }
                throw BotAPIAttemptFailure.retryable(.api(method: "sendMessage", code: 502, description: "Bad Gateway"))
            }
        }
        await sleeping.wait()
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(attempts.withLock { $0 } == 1)
    }

    @Test func timeout_endsAStuckOperation() async throws {
        await #expect(throws: BotAPITimeout.self) {
            try await withBotAPITimeout(.milliseconds(50)) {
                try await Task.sleep(for: .seconds(3600))
                return 1
            }
        }
        #expect(try await withBotAPITimeout(.seconds(30)) { 7 } == 7)
    }
}
