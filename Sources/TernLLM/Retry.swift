import Foundation
import Logging
import TernCore

/// A failed attempt at one HTTP call, classified for the retry loop.
struct AttemptFailure: Error {
    /// The error the caller sees if no retry follows.
    var error: any Error
    /// Whether another attempt may succeed (connection error, 429, 5xx, nothing yielded yet).
    var isRetryable: Bool
    /// The server's `Retry-After`, when it sent one in seconds.
    var retryAfter: Duration?
    /// A failure that is known at once (a refused connection): retried at most
    /// ``RetryPolicy/quickRetries`` times after at most ``RetryPolicy/quickDelay`` each, so a
    /// stopped server fails a call in well under 2 s.
    var isQuick = false

    /// A failure that must not be retried.
    static func final(_ error: any Error) -> AttemptFailure {
        AttemptFailure(error: error, isRetryable: false, retryAfter: nil)
    }
}

/// How often and how far apart model calls are retried: a ``Backoff`` with equal jitter,
/// honouring `Retry-After`.
struct RetryPolicy: Sendable {
    /// Retries after the first attempt.
    var maxRetries: Int
    /// The delay before the first retry, before jitter.
    var baseDelay: Duration
    /// No single delay exceeds this, whatever the server asks for.
    var maxDelay: Duration
    /// The most retries of a quick failure (a refused connection).
    var quickRetries = 2
    /// The cap on the delay before retrying a quick failure.
    var quickDelay: Duration = .milliseconds(250)

    /// The delays between attempts: `Retry-After` when given, else `baseDelay · 2^retry` times a
    /// random factor in `0.5...1` ("equal jitter"); both capped at ``maxDelay``.
    var backoff: Backoff { Backoff(base: baseDelay, cap: maxDelay, jitter: 0.5) }

    /// Parses a `Retry-After` header given in (possibly fractional) seconds; HTTP dates are ignored.
    static func parseRetryAfter(_ value: String?) -> Duration? {
        guard let value, let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0,
            seconds.isFinite
        else { return nil }
        return .milliseconds(Int64(min(seconds, 86_400) * 1000))
    }
}

extension OpenAIClient {
    /// Runs `attempt` until it succeeds, fails for good, or the retries are spent; sleeps the
    /// backoff between attempts. Errors are sorted by ``classify(_:endpoint:)``; the caller gets
    /// the typed ``ModelError`` (or `CancellationError`). The attempt number (0-based) is passed in.
    /// A connection failure or timeout is recorded in ``callTracker`` as evidence.
    func withRetries<T: Sendable>(endpoint: String, retries: Bool = true, _ attempt: (Int) async throws -> T)
        async throws -> T
    {
        var retry = 0
        while true {
            do {
                return try await attempt(retry)
            } catch {
                let failure = classify(error, endpoint: endpoint)
                noteFailure(failure.error)
                let maxRetries =
                    !retries ? 0 : failure.isQuick ? min(retryPolicy.quickRetries, retryPolicy.maxRetries) : retryPolicy.maxRetries
                guard failure.isRetryable, retry < maxRetries, !Task.isCancelled else {
                    throw failure.error
                }
                var delay = retryPolicy.backoff.delay(forAttempt: retry, retryAfter: failure.retryAfter)
                if failure.isQuick { delay = min(delay, retryPolicy.quickDelay) }
                logger.warning(
                    "model call failed, retrying",
                    metadata: [
                        "endpoint": "\(endpoint)", "retry": "\(retry + 1)", "delay_ms": "\(delay.milliseconds)",
                        "error": "\(failure.error)",
                    ])
                try await sleep(delay)
                retry += 1
            }
        }
    }
}

extension Duration {
    /// Whole milliseconds, for logs and errors.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Seconds as a `Double`, for ``ModelError/timeout(endpoint:seconds:)``.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
