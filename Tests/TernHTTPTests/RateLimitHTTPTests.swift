import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TernCore
import TernStore
import TernTesting
import Testing
@testable import TernHTTP

/// Rate limits through the real router: 429 in OpenAI's shape with `Retry-After`, buckets per
/// user, per key and per forwarded user, routes that never count, and failed authentications
/// per client address (`X-Forwarded-For` only from trusted proxies).
@Suite(.timeLimit(.minutes(1))) struct RateLimitHTTPTests {
    static let local = RateLimitHarness.bearer(RateLimitHarness.apiKey)
    static let counted = "/admin/api/v1/contexts"

    @Test func overTheBurst_gets429InOpenAIShape_withRetryAfter() async throws {
        try await RateLimitHarness.run(RateLimitHarness.settings(perMinute: 60, burst: 3)) { harness throws in
            for _ in 0..<3 {
                #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: Self.local).status == .ok)
            }
            let refused = try await harness.client.execute(uri: Self.counted, method: .get, headers: Self.local)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "1")
            let error = try errorBody(refused.body)
            #expect(error["type"] as? String == "requests")
            #expect(error["code"] as? String == "rate_limit_exceeded")
            let message = error["message"] as? String ?? ""
            #expect(message.contains("at most 60 requests a minute (bursts of 3) per user"))
            #expect(message.contains("TERN_RATE_LIMIT_PER_MINUTE, TERN_RATE_LIMIT_BURST"))
            // Cheap and public routes never count.
            #expect(try await harness.client.execute(uri: "/v1/models", method: .get, headers: Self.local).status == .ok)
            #expect(try await harness.client.execute(uri: "/healthz", method: .get).status == .ok)
            // A second later the bucket holds a token again.
            harness.clock.advance(by: .seconds(1))
            #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: Self.local).status == .ok)
        }
    }

    @Test func oneUsersBurst_doesNotLimitAnother() async throws {
        try await RateLimitHarness.run(RateLimitHarness.settings(burst: 2)) { harness throws in
            let ann = RateLimitHarness.bearer(try await harness.keyOfNewUser("ann@example.com"))
            let bob = RateLimitHarness.bearer(try await harness.keyOfNewUser("bob@example.com"))
            for _ in 0..<2 {
                #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: ann).status != .tooManyRequests)
            }
            #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: ann).status == .tooManyRequests)
            #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: bob).status != .tooManyRequests)
            #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: Self.local).status == .ok)
        }
    }

    @Test func keysOfOneUser_shareTheUsersBucket_andEachHasItsOwn() async throws {
        try await RateLimitHarness.run(RateLimitHarness.settings(burst: 2)) { harness throws in
            let (user, _) = try await harness.tenants.provisionUser(email: "cy@example.com", displayName: "Cy", role: .user)
            let first = try await harness.keys.createKey(for: user.id, context: nil, name: "one").secret
            let second = try await harness.keys.createKey(for: user.id, context: nil, name: "two").secret
            for key in [first, second] {
                #expect(
                    try await harness.client.execute(uri: Self.counted, method: .get, headers: RateLimitHarness.bearer(key))
                        .status != .tooManyRequests)
            }
            let refused = try await harness.client.execute(
                uri: Self.counted, method: .get, headers: RateLimitHarness.bearer(first))
            #expect(refused.status == .tooManyRequests)
            #expect((try errorBody(refused.body)["message"] as? String)?.contains("per user") == true)
            #expect(harness.limiter.identities.count == 3)  // the user and each key
        }
    }

    @Test func forwardedUsers_areLimitedSeparately_notByTheProxyKey() async throws {
        try await RateLimitHarness.run(RateLimitHarness.settings(burst: 2)) { harness throws in
            let ann = RateLimitHarness.forwarded("ann@example.com")
            for _ in 0..<2 {
                #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: ann).status != .tooManyRequests)
            }
            #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: ann).status == .tooManyRequests)
            let bob = RateLimitHarness.forwarded("bob@example.com")
            #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: bob).status != .tooManyRequests)
            #expect(harness.limiter.identities.count == 2)  // ann and bob; the proxy key has none
        }
    }

    @Test func contextOverride_countsApart_byHeaderAndByModelName() async throws {
        let settings = RateLimitHarness.settings(
            burst: 1, contexts: ["research": .init(perMinute: 60, burst: 3, maxConcurrentTurns: 0)])
        try await RateLimitHarness.run(settings) { harness throws in
            _ = try await harness.tenants.createContext(name: "research", kind: .shared, owner: .localUser)
            #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: Self.local).status == .ok)
            #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: Self.local).status == .tooManyRequests)
            var inResearch = Self.local
            inResearch[AuthMiddleware.contextHeader] = "research"
            #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: inResearch).status == .ok)
            // `tern/research` picks the context in the body: the turn moves into its scope.
            harness.fake.enqueue(.content("a"), .content("b"))
            for _ in 0..<2 { #expect(try await harness.chat(Self.local, model: "tern/research").status == .ok) }
            let refused = try await harness.chat(inResearch)
            #expect(refused.status == .tooManyRequests)
            let message = try errorBody(refused.body)["message"] as? String ?? ""
            #expect(message.contains("bursts of 3) per user in context 'research' (TERN_RATE_LIMIT_CONTEXTS)"))
        }
    }

    @Test func failedAuthentications_limitTheAddress_notOthers() async throws {
        let settings = RateLimitHarness.settings(perMinute: 0, authFailures: BucketRate(perMinute: 6, burst: 2))
        try await RateLimitHarness.run(settings, trustedProxies: try TrustedProxies(parsing: "127.0.0.1")) { harness throws in
            func attempt(_ key: String, from client: String) async throws -> TestResponse {
                var headers = RateLimitHarness.bearer(key)
                headers[ConnectionWatch.forwardedFor] = client
                return try await harness.client.execute(uri: Self.counted, method: .get, headers: headers)
            }
            let wrong = "wrong-key-0123456789abcdef"
            #expect(try await attempt(wrong, from: "198.51.100.1").status == .unauthorized)
            #expect(try await attempt(wrong, from: "198.51.100.1").status == .unauthorized)
            // Now even a valid key from that address waits: guesses cannot be told from hits.
            let refused = try await attempt(RateLimitHarness.apiKey, from: "198.51.100.1")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "10")
            #expect((try errorBody(refused.body)["message"] as? String)?.contains("from 198.51.100.1") == true)
            #expect(try await attempt(RateLimitHarness.apiKey, from: "198.51.100.2").status == .ok)
            // A missing key is no guess.
            for _ in 0..<3 {
                var headers: HTTPFields = [:]
                headers[ConnectionWatch.forwardedFor] = "198.51.100.3"
                #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: headers).status == .unauthorized)
            }
        }
    }

    @Test func forwardedFor_fromAnUntrustedPeer_changesNothing() async throws {
        let settings = RateLimitHarness.settings(perMinute: 0, authFailures: BucketRate(perMinute: 6, burst: 1))
        try await RateLimitHarness.run(settings) { harness throws in
            var headers = RateLimitHarness.bearer("wrong-key-0123456789abcdef")
            headers[ConnectionWatch.forwardedFor] = "198.51.100.1"
            #expect(try await harness.client.execute(uri: Self.counted, method: .get, headers: headers).status == .unauthorized)
            headers[ConnectionWatch.forwardedFor] = "198.51.100.2"  // a new "address" buys no new guesses
            let refused = try await harness.client.execute(uri: Self.counted, method: .get, headers: headers)
            #expect(refused.status == .tooManyRequests)
            #expect((try errorBody(refused.body)["message"] as? String)?.contains("from 127.0.0.1") == true)
        }
    }
}
