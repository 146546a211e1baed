package import HTTPTypes
package import Logging
package import TernAgent
package import TernCore

/// Enforces ``RateLimitSettings``: token buckets per user and per API key (a request takes a
/// token from both), turns at once per user, and failed authentications per client address.
///
/// One instance serves the whole router, so every route shares the same buckets. Refusals are
/// 429 in OpenAI's error shape with `Retry-After`, logged at most once a minute per bucket.
package final class RateLimiter: Sendable {
    /// The limits enforced.
    package let settings: RateLimitSettings
    /// Buckets of users and API keys.
    package let identities: TokenBuckets
    /// Buckets of client addresses, for failed authentications (kept apart, so unauthenticated
    /// callers cannot push users' buckets out).
    package let addresses: TokenBuckets
    let turns = TurnCounter()
    /// Context names, for per-context limits.
    let contextNames: ContextNameCache
    private let throttle: LogThrottle
    private let logger: Logger

    /// - Parameter now: the clock, injected for tests.
    package init(
        settings: RateLimitSettings = .init(), logger: Logger = Logger(label: "tern.http.rate_limit"),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.settings = settings
        identities = TokenBuckets(maxBuckets: settings.maxBuckets, now: now)
        addresses = TokenBuckets(maxBuckets: settings.maxBuckets, now: now)
        throttle = LogThrottle(interval: .seconds(60), now: now)
        contextNames = ContextNameCache(now: now)
        self.logger = logger
    }

    /// Where a request is counted: everywhere, or a context with its own limits.
    package struct Scope: Sendable, Equatable {
        /// The overridden context's name; `nil` for the standard limits.
        package var context: String?
        package var limits: RateLimitSettings.Limits
    }

    /// The scope of requests in the context named `name` (`nil`: unknown name).
    package func scope(forContextNamed name: String?) -> Scope {
        if let name, let limits = settings.contexts[name] { return Scope(context: name, limits: limits) }
        return Scope(context: nil, limits: settings.standard)
    }

    /// Takes a token from the caller's user bucket and, with an API key, the key's bucket;
    /// throws 429 naming the empty one.
    package func admit(_ identity: ResolvedIdentity, in scope: Scope, client: String, path: String) throws(APIError) {
        let buckets = Self.buckets(identity, scope)
        guard let (index, wait) = identities.take(buckets.map { ($0.key, scope.limits.requests) }) else { return }
        let who = buckets[index].who
        let rate = scope.limits.requests
        let settings =
            scope.context == nil ? "TERN_RATE_LIMIT_PER_MINUTE, TERN_RATE_LIMIT_BURST" : "TERN_RATE_LIMIT_CONTEXTS"
        throw refuse(
            "rate limit reached: at most \(rate.perMinute) requests a minute (bursts of \(rate.burst)) per \(who)"
                + Self.inContext(scope) + " (\(settings)); try again in \(Self.seconds(wait)) s",
            retryAfter: wait, bucket: buckets[index].key, client: client, path: path, limit: "requests")
    }

    /// Takes the caller's tokens without refusing (see ``TokenBuckets/charge(_:)``).
    package func charge(_ identity: ResolvedIdentity, in scope: Scope) {
        identities.charge(Self.buckets(identity, scope).map { ($0.key, scope.limits.requests) })
    }

    /// Counts a turn for the caller's user in `scope`, or throws 429 when as many as allowed run.
    /// Returns the key to hand to ``endTurn(_:)`` when the turn's response has ended.
    package func beginTurn(_ identity: ResolvedIdentity, in scope: Scope, client: String, path: String)
        throws(APIError) -> String
    {
        let key = Self.buckets(identity, scope)[0].key
        let limit = scope.limits.maxConcurrentTurns
        guard turns.begin(key, limit: limit) else {
            let setting = scope.context == nil ? "TERN_MAX_CONCURRENT_TURNS" : "TERN_RATE_LIMIT_CONTEXTS"
            throw refuse(
                "too many turns at once: at most \(limit) may run at the same time per user" + Self.inContext(scope)
                    + " (\(setting)); wait for one to finish",
                retryAfter: Self.turnRetry, bucket: key, client: client, path: path, limit: "concurrent_turns")
        }
        return key
    }

    /// Ends a turn counted by ``beginTurn(_:in:client:path:)``.
    package func endTurn(_ key: String) { turns.end(key) }

    /// What a refused turn's `Retry-After` says: turns usually take seconds.
    static let turnRetry = Duration.seconds(5)

    /// Throws 429 when `client` has used up its failed authentications.
    package func checkAuthFailures(from client: String, path: String) throws(APIError) {
        guard let wait = addresses.wait(client, rate: settings.authFailures) else { return }
        let rate = settings.authFailures
        throw refuse(
            "too many failed authentication attempts from \(client): at most \(rate.burst) in a row, then "
                + "\(rate.perMinute) a minute; try again in \(Self.seconds(wait)) s with a valid API key",
            retryAfter: wait, bucket: "address:\(client)", client: client, path: path, limit: "auth_failures")
    }

    /// Counts a failed authentication from `client`.
    package func noteAuthFailure(from client: String) {
        _ = addresses.take([(client, settings.authFailures)])
    }

    /// The caller's buckets: the user's first, then the key's (if any); in an overridden
    /// context both are that context's own.
    static func buckets(_ identity: ResolvedIdentity, _ scope: Scope) -> [(key: String, who: String)] {
        let suffix = scope.context.map { "@\($0)" } ?? ""
        var buckets = [(key: "user:\(identity.user.id.rawValue)\(suffix)", who: "user")]
        if let key = identity.apiKeyID { buckets.append((key: "key:\(key)\(suffix)", who: "API key")) }
        return buckets
    }

    private static func inContext(_ scope: Scope) -> String {
        scope.context.map { " in context '\($0)'" } ?? ""
    }

    /// Whole seconds, rounded up, at least 1 (what `Retry-After` carries).
    static func seconds(_ wait: Duration) -> Int {
        let (seconds, attoseconds) = wait.components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }

    private func refuse(
        _ message: String, retryAfter: Duration, bucket: String, client: String, path: String, limit: String
    ) -> APIError {
        if throttle.allows(bucket) {
            logger.warning(
                "request refused by a rate limit (429); further ones for this caller are not logged for a minute",
                metadata: ["limit": "\(limit)", "bucket": "\(bucket)", "client": "\(client)", "path": "\(path)"])
        }
        return APIError(
            status: .tooManyRequests, message: message, type: "requests", code: "rate_limit_exceeded",
            headers: [.retryAfter: "\(Self.seconds(retryAfter))"])
    }
}
