/// Exponential backoff with jitter and a cap: the one way Tern spaces out repeated attempts
/// (model calls, Bot API calls, MCP reconnects and stream resumes).
///
/// Attempt `n` (0-based: the wait before the first retry is attempt 0) has the ceiling
/// `min(base · 2ⁿ, cap)`. A share ``jitter`` of it is random: the delay is
/// `ceiling · (1 − jitter · u)` for a uniform draw `u` in `[0, 1)`. So `jitter` 1 is "full jitter"
/// (anywhere up to the ceiling: many clients spread out best), 0.5 "equal jitter" (half fixed,
/// half random), 0 none. A server's own wait (`Retry-After`, Telegram's `retry_after`, an SSE
/// `retry:` field) takes precedence over the exponential one, unjittered, capped at
/// ``retryAfterCap``.
package struct Backoff: Sendable, Equatable {
    /// The ceiling of attempt 0; it doubles per attempt.
    package var base: Duration
    /// No exponential delay exceeds this.
    package var cap: Duration
    /// The random share of each exponential delay, in `0...1` (1 is full jitter).
    package var jitter: Double
    /// No server-requested wait exceeds this.
    package var retryAfterCap: Duration

    /// A backoff from `base` doubling up to `cap`; `retryAfterCap` defaults to `cap`.
    package init(base: Duration, cap: Duration, jitter: Double = 1, retryAfterCap: Duration? = nil) {
        self.base = max(base, .zero)
        self.cap = max(cap, .zero)
        self.jitter = min(max(jitter, 0), 1)
        self.retryAfterCap = max(retryAfterCap ?? cap, .zero)
    }

    /// The longest delay of attempt `attempt` (0-based): `min(base · 2^attempt, cap)`.
    package func ceiling(forAttempt attempt: Int) -> Duration {
        // 2^30 times any sane base is far past any cap, and Duration does not overflow there.
        let exponent = min(max(attempt, 0), 30)
        return min(base * (1 << exponent), cap)
    }

    /// The delay before attempt `attempt` (0-based) for the uniform draw `unit` in `[0, 1)`:
    /// `retryAfter` (capped at ``retryAfterCap``) when the server asked for a wait, else the
    /// jittered exponential delay. `unit` 0 gives the ceiling.
    package func delay(forAttempt attempt: Int, retryAfter: Duration? = nil, unit: Double) -> Duration {
        if let retryAfter { return min(max(retryAfter, .zero), retryAfterCap) }
        let unit = unit.isFinite ? min(max(unit, 0), 1) : 0
        return ceiling(forAttempt: attempt) * (1 - jitter * unit)
    }

    /// ``delay(forAttempt:retryAfter:unit:)`` with the draw taken from `generator` (seeded in tests).
    package func delay(
        forAttempt attempt: Int, retryAfter: Duration? = nil, using generator: inout some RandomNumberGenerator
    ) -> Duration {
        delay(forAttempt: attempt, retryAfter: retryAfter, unit: Double.random(in: 0..<1, using: &generator))
    }

    /// ``delay(forAttempt:retryAfter:unit:)`` with the draw taken from the system's generator.
    package func delay(forAttempt attempt: Int, retryAfter: Duration? = nil) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(forAttempt: attempt, retryAfter: retryAfter, using: &generator)
    }
}
