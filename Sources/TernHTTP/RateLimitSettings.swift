import Foundation
import TernCore

/// How much each caller may ask of the API: requests per minute and turns at once per user and
/// per API key, overrides per context, and failed authentications per client address.
///
/// Built from the configuration (`TERN_RATE_LIMIT_PER_MINUTE`, `TERN_RATE_LIMIT_BURST`,
/// `TERN_MAX_CONCURRENT_TURNS`, `TERN_RATE_LIMIT_CONTEXTS`) and enforced by ``RateLimiter``.
package struct RateLimitSettings: Sendable, Equatable {
    /// The limits of one scope: everywhere, or one context.
    package struct Limits: Sendable, Equatable {
        /// Requests per minute and burst, per user and per API key.
        package var requests: BucketRate
        /// Turns (chat completions, agent runs) one user may have running at once; 0 = unlimited.
        package var maxConcurrentTurns: Int

        package init(perMinute: Int, burst: Int, maxConcurrentTurns: Int) {
            requests = BucketRate(perMinute: perMinute, burst: burst)
            self.maxConcurrentTurns = maxConcurrentTurns
        }

        /// `600/60/16`, as written in `TERN_RATE_LIMIT_CONTEXTS`.
        package var text: String { "\(requests.perMinute)/\(requests.burst)/\(maxConcurrentTurns)" }
    }

    /// The limits outside overridden contexts (documented defaults: 120 a minute, bursts of 30,
    /// 8 turns at once).
    package var standard: Limits
    /// Limits by context name: a user's (and key's) requests and turns in such a context are
    /// counted apart from their others, against these numbers.
    package var contexts: [String: Limits]
    /// Failed authentications (a wrong or unknown key) allowed per client address; past it,
    /// every request from the address gets 429 until its bucket refills. Not configurable: it
    /// only slows down key guessing and log floods.
    package var authFailures: BucketRate
    /// Buckets kept for identities (users, keys) and, separately, for client addresses.
    package var maxBuckets: Int

    package init(
        standard: Limits = Limits(perMinute: 120, burst: 30, maxConcurrentTurns: 8), contexts: [String: Limits] = [:],
        authFailures: BucketRate = BucketRate(perMinute: 10, burst: 20), maxBuckets: Int = 20_000
    ) {
        self.standard = standard
        self.contexts = contexts
        self.authFailures = authFailures
        self.maxBuckets = maxBuckets
    }

    /// Parses `TERN_RATE_LIMIT_CONTEXTS`: comma-separated `name=PER_MINUTE/BURST/MAX_TURNS`
    /// entries (`research=600/60/16,public=30/10/2`). The error names the entry and what is
    /// wrong with it.
    package static func parseContexts(_ text: String) throws(RateLimitSettingsError) -> [String: Limits] {
        var limits: [String: Limits] = [:]
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let numbers = parts.count == 2 ? parts[1].split(separator: "/", omittingEmptySubsequences: false) : []
            guard numbers.count == 3 else {
                throw RateLimitSettingsError("'\(entry)' must be NAME=PER_MINUTE/BURST/MAX_TURNS, e.g. research=600/60/16")
            }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            if let problem = ContextName.problem(with: name) {
                throw RateLimitSettingsError("'\(entry)': the context name \(problem)")
            }
            let values = numbers.map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let perMinute = values[0], perMinuteRange.contains(perMinute), let burst = values[1],
                burstRange.contains(burst), let turns = values[2], turnsRange.contains(turns)
            else {
                throw RateLimitSettingsError(
                    "'\(entry)': PER_MINUTE must be \(perMinuteRange.lowerBound)–\(perMinuteRange.upperBound), BURST "
                        + "\(burstRange.lowerBound)–\(burstRange.upperBound), MAX_TURNS "
                        + "\(turnsRange.lowerBound)–\(turnsRange.upperBound) (0: unlimited)")
            }
            guard limits[name] == nil else { throw RateLimitSettingsError("context '\(name)' is listed twice") }
            limits[name] = Limits(perMinute: perMinute, burst: burst, maxConcurrentTurns: turns)
        }
        return limits
    }

    /// Allowed requests per minute (0: unlimited).
    package static let perMinuteRange = 0...1_000_000
    /// Allowed bursts.
    package static let burstRange = 1...100_000
    /// Allowed turns at once (0: unlimited).
    package static let turnsRange = 0...10_000
}

/// A `TERN_RATE_LIMIT_CONTEXTS` entry that cannot be read; the message names it.
package struct RateLimitSettingsError: Error, Equatable, CustomStringConvertible {
    package var description: String

    init(_ description: String) { self.description = description }
}
