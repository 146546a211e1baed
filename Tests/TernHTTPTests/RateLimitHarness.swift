import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import TernAgent
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
    let tenants: SQLTenantStore
    let keys: SQLAPIKeyStore

    static func run(
        _ settings: RateLimitSettings, trustedProxies: TrustedProxies = .none,
        _ body: @Sendable (RateLimitHarness) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-rate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
        let database = try await SQLiteDatabase.open(path: directory.appendingPathComponent("t.sqlite").path)
        try await Migrator(database: database).migrate()
        let fake = try await FakeLLMServer.start()
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
        var logger = Logger(label: "tern.test")
        logger.logLevel = .critical
        let model = OpenAIClient(
            configuration: .init(baseURL: fake.baseURL, readTimeout: .seconds(30), maxRetries: 0),
            httpClient: httpClient, logger: logger)
        let store = SQLConversationStore(database: database)
        let tenants = SQLTenantStore(database: database, epoch: MembershipEpoch())
        let keys = SQLAPIKeyStore(database: database, hasher: APIKeyHasher(secretKey: Array(repeating: 7, count: 32)))
        let identity = IdentityResolver(
            tenants: tenants, keys: keys, staticKeys: [apiKey], proxyKeys: [proxyKey], logger: logger)
        let agent = AgentService(
            store: store, model: model, settings: .init(model: "fake-model", routerEnabled: false), logger: logger)
        let connections = ConnectionWatch(
            limits: ServerLimits(streamStartGrace: .milliseconds(1)), trustedProxies: trustedProxies, logger: logger)
        let clock = ManualClock()
        let limiter = RateLimiter(settings: settings, logger: logger, now: clock.now)
        let router = buildRouter(
            HTTPDependencies(
                conversations: store, storeHealth: DatabaseHealth(database: database), agent: agent,
                modelReachability: ModelReachability(model: model, logger: logger), identity: identity,
                tenants: tenants, apiKeys: keys, connections: connections, rateLimiter: limiter))
        let app = Application(
            router: router, server: connections.serverBuilder,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        do {
            try await app.test(.live) { client in
                guard let port = client.port else { throw LimitsHarnessError.noPort }
                try await body(
                    RateLimitHarness(
                        client: client, port: port, limiter: limiter, clock: clock, fake: fake, tenants: tenants,
                        keys: keys))
            }
        } catch {
            try await httpClient.shutdown()
            await fake.stop()
            try await database.close()
            throw error
        }
        try await httpClient.shutdown()
        await fake.stop()
        try await database.close()
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
