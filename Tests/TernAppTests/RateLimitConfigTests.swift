import TernHTTP
import Testing
@testable import TernApp

/// Trusted proxies and rate limits load from their `TERN_*` keys, with the documented defaults,
/// and bad values are reported by key.
@Suite struct RateLimitConfigTests {
    static func load(_ environment: [String: String]) throws(ConfigError) -> TernConfig {
        try ServerLimitsConfigTests.load(environment)
    }

    @Test func defaults_matchTheDocumentedValues() throws {
        let clients = try Self.load([:]).clients
        #expect(clients.trustedProxies == .none)
        #expect(clients.rateLimits == RateLimitSettings())
        #expect(clients.rateLimits.standard == .init(perMinute: 120, burst: 30, maxConcurrentTurns: 8))
    }

    @Test func keys_setTheLimits() throws {
        let clients = try Self.load([
            "TERN_TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8", "TERN_RATE_LIMIT_PER_MINUTE": "600",
            "TERN_RATE_LIMIT_BURST": "60", "TERN_MAX_CONCURRENT_TURNS": "0",
            "TERN_RATE_LIMIT_CONTEXTS": "research=1200/100/16",
        ]).clients
        #expect(clients.trustedProxies == (try TrustedProxies(parsing: "10.0.0.0/8,fd00::/8")))
        #expect(clients.rateLimits.standard == .init(perMinute: 600, burst: 60, maxConcurrentTurns: 0))
        #expect(clients.rateLimits.contexts == ["research": .init(perMinute: 1200, burst: 100, maxConcurrentTurns: 16)])
    }

    @Test(arguments: [
        ("TERN_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.300", "'10.0.0.300' is not an IP address or CIDR block"),
        ("TERN_RATE_LIMIT_PER_MINUTE", "-1", "TERN_RATE_LIMIT_PER_MINUTE must be a whole number from 0 to 1000000"),
        ("TERN_RATE_LIMIT_BURST", "0", "TERN_RATE_LIMIT_BURST must be a whole number from 1 to 100000"),
        ("TERN_MAX_CONCURRENT_TURNS", "many", "TERN_MAX_CONCURRENT_TURNS must be a whole number from 0 to 10000"),
        ("TERN_RATE_LIMIT_CONTEXTS", "research=600", "'research=600' must be NAME=PER_MINUTE/BURST/MAX_TURNS"),
    ])
    func badValue_isRejectedNamingTheKey(_ key: String, _ value: String, _ says: String) {
        #expect {
            try Self.load([key: value])
        } throws: { error in
            let text = (error as? ConfigError)?.description ?? ""
            return text.contains(key) && text.contains(says)
        }
    }
}
