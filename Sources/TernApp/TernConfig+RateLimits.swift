package import TernHTTP

extension TernConfig {
    /// Who the client of a request is and how much each caller may ask.
    package struct Clients: Sendable, Equatable {
        /// `TERN_TRUSTED_PROXIES`: peers whose `X-Forwarded-For` names the client.
        package var trustedProxies: TrustedProxies = .none
        /// `TERN_RATE_LIMIT_PER_MINUTE`, `TERN_RATE_LIMIT_BURST`, `TERN_MAX_CONCURRENT_TURNS`,
        /// `TERN_RATE_LIMIT_CONTEXTS`.
        package var rateLimits: RateLimitSettings = .init()

        package init(trustedProxies: TrustedProxies = .none, rateLimits: RateLimitSettings = .init()) {
            self.trustedProxies = trustedProxies
            self.rateLimits = rateLimits
        }
    }
}

extension ValueReader {
    /// Trusted proxies and rate limits; every bad value is a problem naming its key.
    mutating func clients() -> TernConfig.Clients {
        var trustedProxies = TrustedProxies.none
        do {
            trustedProxies = try TrustedProxies(parsing: string(.trustedProxies))
        } catch {
            problems.append("\(subject(.trustedProxies)): \(error.problem)")
        }
        let standard = RateLimitSettings.Limits(
            perMinute: integer(.rateLimitPerMinute, in: RateLimitSettings.perMinuteRange),
            burst: integer(.rateLimitBurst, in: RateLimitSettings.burstRange),
            maxConcurrentTurns: integer(.maxConcurrentTurns, in: RateLimitSettings.turnsRange))
        var contexts: [String: RateLimitSettings.Limits] = [:]
        do {
            contexts = try RateLimitSettings.parseContexts(string(.rateLimitContexts))
        } catch {
            problems.append("\(subject(.rateLimitContexts)): \(error.description)")
        }
        return TernConfig.Clients(
            trustedProxies: trustedProxies, rateLimits: RateLimitSettings(standard: standard, contexts: contexts))
    }
}
