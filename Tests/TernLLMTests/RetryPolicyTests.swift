import TernCore
import Testing

@testable import TernLLM

@Suite(.timeLimit(.minutes(1))) struct RetryPolicyTests {
    let policy = RetryPolicy(maxRetries: 5, baseDelay: .milliseconds(100), maxDelay: .seconds(1))

    @Test func delay_doublesPerRetry_withJitterBetweenHalfAndFull() {
        #expect(policy.backoff.delay(forAttempt: 0, unit: 0) == .milliseconds(100))
        #expect(policy.backoff.delay(forAttempt: 2, unit: 0) == .milliseconds(400))
        #expect(policy.backoff.delay(forAttempt: 2, unit: 1) == .milliseconds(200))
        for retry in 0..<5 {
            let delay = policy.backoff.delay(forAttempt: retry)
            #expect(delay >= .milliseconds(50) && delay <= .seconds(1))
        }
    }

    @Test func delay_isCapped_includingRetryAfter() {
        #expect(policy.backoff.delay(forAttempt: 30, unit: 0) == .seconds(1))
        #expect(policy.backoff.delay(forAttempt: 0, retryAfter: .seconds(60)) == .seconds(1))
        #expect(policy.backoff.delay(forAttempt: 0, retryAfter: .milliseconds(300)) == .milliseconds(300))
    }

    @Test(arguments: [
        ("3", Duration.seconds(3)), (" 1.5 ", .milliseconds(1500)), ("0", .zero),
    ])
    func parseRetryAfter_readsSeconds(header: String, expected: Duration) {
        #expect(RetryPolicy.parseRetryAfter(header) == expected)
    }

    @Test(arguments: ["Wed, 21 Oct 2015 07:28:00 GMT", "-1", "soon", ""])
    func parseRetryAfter_ignoresOtherForms(header: String) {
        #expect(RetryPolicy.parseRetryAfter(header) == nil)
    }
}
