import Foundation
import Logging
package import TernCore

/// When and how long ``BotAPIClient`` waits before repeating a failed call.
///
/// - `429`: waits exactly Telegram's `retry_after` (capped at ``maxRetryAfter``), then retries.
/// - Transport errors and 5xx: jittered exponential backoff from ``baseDelay``, capped at ``maxDelay``.
/// - Any other 4xx, an invalid response, or cancellation: no retry.
///
/// At most ``maxRetries`` retries follow the first attempt, whatever the mix of failures.
package struct BotAPIRetry: Sendable {
    /// Waits out a delay; tests pass a recorder so nothing really waits.
    package typealias Sleep = @Sendable (Duration) async throws -> Void

    /// Retries after the first attempt.
    package var maxRetries: Int
    /// The delay before the first backoff retry, before jitter; it doubles per retry.
    package var baseDelay: Duration
    /// No backoff delay exceeds this.
    package var maxDelay: Duration
    /// No `retry_after` wait exceeds this, whatever Telegram asks for.
    package var maxRetryAfter: Duration
    /// Waits between attempts; throws `CancellationError` when the caller is cancelled.
    package var sleep: Sleep

    /// Creates a policy; the defaults suit the real Bot API.
    package init(
        maxRetries: Int = 3,
        baseDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(30),
        maxRetryAfter: Duration = .seconds(60),
        sleep: @escaping Sleep = { try await Task.sleep(for: $0) }
    ) {
        self.maxRetries = max(0, maxRetries)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.sleep = sleep
    }

    /// The delays between attempts: Telegram's `retry_after` when it sent one (capped at
    /// ``maxRetryAfter``), else `baseDelay · 2^retry` times a random factor in `0.5...1` ("equal
    /// jitter"), capped at ``maxDelay``.
    package var backoff: Backoff {
        Backoff(base: baseDelay, cap: maxDelay, jitter: 0.5, retryAfterCap: maxRetryAfter)
    }

    /// Runs `attempt` (given the 0-based attempt number) until it succeeds, fails for good, or the
    /// retries are spent. `attempt` throws ``BotAPIAttemptFailure`` for classified failures; the
    /// caller then gets its ``BotAPIError``. Cancellation ends the loop at once with
    /// `CancellationError`, also during a wait.
    func run<T: Sendable>(method: String, logger: Logger, _ attempt: (Int) async throws -> T) async throws -> T {
        var retry = 0
        while true {
            do {
                return try await attempt(retry)
            } catch let failure as BotAPIAttemptFailure {
                try Task.checkCancellation()
                guard failure.isRetryable, retry < maxRetries else { throw failure.error }
                let delay = backoff.delay(forAttempt: retry, retryAfter: failure.retryAfter.map { .seconds($0) })
                logger.warning(
                    "Telegram call failed, retrying",
                    metadata: [
                        "method": "\(method)", "retry": "\(retry + 1)", "delay_ms": "\(delay.botAPIMilliseconds)",
                        "error": "\(failure.error)",
                    ])
                try await sleep(delay)
                try Task.checkCancellation()
                retry += 1
            }
        }
    }
}

/// A failed attempt at one Bot API call, classified for ``BotAPIRetry/run(method:logger:_:)``.
struct BotAPIAttemptFailure: Error {
    /// What the caller sees if no retry follows.
    var error: BotAPIError
    /// Whether another attempt may succeed (transport error, 429, 5xx).
    var isRetryable: Bool
    /// Telegram's `retry_after` in seconds, for a 429 that carried one.
    var retryAfter: Int?

    /// A failure that must not be retried.
    static func final(_ error: BotAPIError) -> BotAPIAttemptFailure {
        BotAPIAttemptFailure(error: error, isRetryable: false, retryAfter: nil)
    }

    /// A failure worth another attempt after the backoff (or `retryAfter`).
    static func retryable(_ error: BotAPIError, retryAfter: Int? = nil) -> BotAPIAttemptFailure {
        BotAPIAttemptFailure(error: error, isRetryable: true, retryAfter: retryAfter)
    }
}

extension Duration {
    /// Whole milliseconds, for log metadata.
    var botAPIMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
