import Testing

@testable import TernLLM

@Suite(.timeLimit(.minutes(1))) struct RetryPolicyTests {
    let policy = RetryPolicy(maxRetries: 5, baseDelay: .milliseconds(100), maxDelay: .seconds(1))

    @Test func delay_doublesPerRetry_withJitterBetweenHalfAndFull() {
        #expect(policy.delay(beforeRetry: 0, retryAfter: nil, jitter: 1) == .milliseconds(100))
        #expect(policy.delay(beforeRetry: 2, retryAfter: nil, jitter: 1) == .milliseconds(400))
        #expect(policy.delay(beforeRetry: 2, retryAfter: nil, jitter: 0.5) == .milliseconds(200))
        for retry in 0..<5 {
            let delay = policy.delay(beforeRetry: retry, retryAfter: nil)
            #expect(delay >= .milliseconds(50) && delay <= .seconds(1))
        }
    }

    @Test func delay_isCapped_includingRetryAfter() {
        #expect(policy.delay(beforeRetry: 30, retryAfter: nil, jitter: 1) == .seconds(1))
        #expect(policy.delay(beforeRetry: 0, retryAfter: .seconds(60)) == .seconds(1))
        #expect(policy.delay(beforeRetry: 0, retryAfter: .milliseconds(300)) == .milliseconds(300))
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
