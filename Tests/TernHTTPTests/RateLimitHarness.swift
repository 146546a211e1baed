import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import TernAgent
import TernApp
import TernCore
import TernHTTP
import TernLLM
import TernStore
import TernTesting

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    var now: @Sendable () -> ContinuousClock.Instant { { self.instant.withLock { $0 } } }

    func advance(by duration: Duration) { instant.withLock { $0 += duration } }
}

/// A live Tern server with a chosen ``RateLimiter`` (on a ``ManualClock``), trusted proxies and
/// a scripted fake model, for the rate-limit suites.
struct RateLimitHarness {
    static let apiKey = "rate-key-0123456789abcdef"
    static let proxyKey = "rate-proxy-key-0123456789abcdef"

    let client: any TestClientProtocol
    let port: Int
    let limiter: RateLimiter
    let clock: ManualClock
    let fake: FakeLLMServer
    let tenants: any TenantStore
    let keys: any APIKeyStore

    static func run(
        _ settings: RateLimitSettings, trustedProxies: TrustedProxies = .none,
        _ body: @Sendable (RateLimitHarness) async throws -> Void
    ) async throws {
        let fake = try await FakeLLMServer.start()
        let clock = ManualClock()
        var logger = Logger(label: "tern.test")
        logger.logLevel = .critical
        let limiter = RateLimiter(settings: settings, logger: logger, now: clock.now)
        do {
            try await LiveTern.run(
                environment: [
                    "TERN_API_KEYS": apiKey, "TERN_TRUSTED_PROXY_KEYS": proxyKey, "TERN_LLM_BASE_URL": fake.baseURL,
                    "TERN_LLM_MAX_RETRIES": "0",
                ],
                configure: {
                    $0.server.streamStartGrace = .milliseconds(1)
                    $0.clients.trustedProxies = trustedProxies
                }, overrides: DependencyOverrides(rateLimiter: limiter)
            ) { dependencies, client in
                guard let port = client.port else { throw LimitsHarnessError.noPort }
                try await body(
                    RateLimitHarness(
                        client: client, port: port, limiter: limiter, clock: clock, fake: fake,
                        tenants: dependencies.tenants, keys: dependencies.apiKeys))
            }
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    /// Settings with the given standard limits and nothing else changed.
    static func settings(
        perMinute: Int = 60, burst: Int = 3, turns: Int = 0, contexts: [String: RateLimitSettings.Limits] = [:],
        authFailures: BucketRate = BucketRate(perMinute: 0, burst: 1)
    ) -> RateLimitSettings {
        RateLimitSettings(
            standard: .init(perMinute: perMinute, burst: burst, maxConcurrentTurns: turns), contexts: contexts,
            authFailures: authFailures)
    }

    /// `GET /admin/api/v1/users` (a counted request) with `headers`.
    func adminGet(_ headers: HTTPFields) async throws -> TestResponse {
        try await client.execute(uri: "/admin/api/v1/users", method: .get, headers: headers)
    }

    /// A non-streamed chat turn.
    func chat(_ headers: HTTPFields, model: String = "tern") async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await client.execute(
            uri: "/v1/chat/completions", method: .post, headers: headers,
            body: ByteBuffer(string: #"{"model":"\#(model)","messages":[{"role":"user","content":"hi"}]}"#))
    }

    static func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)"] }

    /// Headers of a request from Open WebUI (proxy key) for the user `email`.
    static func forwarded(_ email: String) -> HTTPFields {
        [.authorization: "Bearer \(proxyKey)", HTTPField.Name("X-OpenWebUI-User-Email")!: email]
    }

    /// A stored key of a new user `email`.
    func keyOfNewUser(_ email: String) async throws -> String {
        let (user, _) = try await tenants.provisionUser(email: email, displayName: email, role: .user)
        return try await keys.createKey(for: user.id, context: nil, name: "test").secret
    }
}
