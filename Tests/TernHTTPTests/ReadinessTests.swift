import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOFoundationCompat
import Synchronization
import TernCore
import TernHTTP
import Testing

/// `/readyz` reports this replica's part in the leader election next to the store and model.
@Suite struct ReadinessTests {
    /// A store whose ping succeeds or fails as the test says.
    final class SwitchableHealth: StoreHealth {
        let failing = Mutex(false)
        func ping() async throws {
            if failing.withLock({ $0 }) { throw StoreError.database("database is down") }
        }
    }

    /// A store that never answers (a database behind a dead network), until cancelled.
    struct HangingHealth: StoreHealth {
        func ping() async throws { try await Task.sleep(for: .seconds(3600)) }  // a hung database, on purpose
    }

    static func router(
        health: any StoreHealth, leader: (@Sendable () -> String)?, pingLimit: Duration = .seconds(2)
    ) -> Router<TernRequestContext> {
        let router = Router(context: TernRequestContext.self)
        HealthController(
            store: health, model: ModelReachability(model: nil, logger: Logger(label: "test")), leader: leader,
            pingLimit: pingLimit
        ).addRoutes(to: router)
        return router
    }

    static func fields(_ response: TestResponse) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
    }

    @Test func reportsTheLeaderStateAsItIsAtRequestTime() async throws {
        let state = Mutex("waiting")
        let health = SwitchableHealth()
        let router = Self.router(health: health, leader: { state.withLock { $0 } })
        try await Application(router: router).test(.router) { client in
            let waiting = try await client.execute(uri: "/readyz", method: .get)
            #expect(waiting.status == .ok)
            #expect(try Self.fields(waiting) == ["status": "ready", "store": "ok", "llm": "not_configured", "leader": "waiting"])
            state.withLock { $0 = "leading" }
            #expect(try Self.fields(try await client.execute(uri: "/readyz", method: .get))["leader"] == "leading")
            // A replica whose store fails is not ready, and still says where its election stands.
            health.failing.withLock { $0 = true }
            state.withLock { $0 = "error" }
            let down = try await client.execute(uri: "/readyz", method: .get)
            #expect(down.status == .serviceUnavailable)
            #expect(try Self.fields(down) == ["status": "not_ready", "store": "error", "llm": "not_configured", "leader": "error"])
        }
    }

    @Test func saysNothingAboutLeadershipWithoutLeaderOnlyJobs() async throws {
        try await Application(router: Self.router(health: SwitchableHealth(), leader: nil)).test(.router) { client in
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(try Self.fields(ready) == ["status": "ready", "store": "ok", "llm": "not_configured"])
        }
    }

    @Test func answersNotReadyWhenTheStoreHangsInsteadOfHangingItself() async throws {
        let router = Self.router(health: HangingHealth(), leader: { "error" }, pingLimit: .milliseconds(100))
        try await Application(router: router).test(.router) { client in
            let down = try await client.execute(uri: "/readyz", method: .get)
            #expect(down.status == .serviceUnavailable)
            #expect(try Self.fields(down) == ["status": "not_ready", "store": "error", "llm": "not_configured", "leader": "error"])
        }
    }
}
