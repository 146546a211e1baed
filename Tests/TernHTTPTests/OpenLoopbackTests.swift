import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import TernStore
import Testing
import TernAgent
import TernCore

/// Without configured keys, keyless callers are the local admin only until the server is claimed.
@Suite(.timeLimit(.minutes(1))) struct OpenLoopbackTests {
    final class SettableClock: WallClock {
        private let time = Mutex(Date(timeIntervalSince1970: 1_000_000))
        func now() -> Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    @Test func keylessRequests_areRefusedOnceAUserExists() async throws {
        try await Harness.run(apiKeys: []) { harness, client throws in
            _ = try await harness.tenants.provisionUser(email: "ada@example.com", displayName: "Ada", role: .user)
            let response = try await client.execute(uri: "/admin/api/v1/contexts", method: .get, headers: [:])
            #expect(response.status == .unauthorized)
            #expect(try errorBody(response.body)["message"] as? String == IdentityResolver.claimedServer)
            #expect(try await harness.identity.keylessMode() == .keysRequired)
        }
    }

    @Test func keylessRequests_closeWithinTheRecheckInterval_andStayClosed() async throws {
        try await Harness.run(apiKeys: []) { harness, _ throws in
            let clock = SettableClock()
            let resolver = IdentityResolver(
                tenants: harness.tenants, keys: harness.keys, staticKeys: [], proxyKeys: [], clock: clock)
            #expect(try await resolver.resolve(bearer: nil, forwarded: nil, contextName: nil).user.id == .localUser)
            let (_, secret) = try await harness.keys.createKey(for: .localUser, context: nil, name: "first")
            // Cached as open for at most the recheck interval.
            #expect(try await resolver.keylessMode() == .openUntilClaimed)
            clock.advance(OpenLoopbackGate.recheckInterval)
            await #expect(throws: IdentityError.unauthenticated(IdentityResolver.claimedServer)) {
                try await resolver.resolve(bearer: nil, forwarded: nil, contextName: nil)
            }
            #expect(try await resolver.resolve(bearer: secret, forwarded: nil, contextName: nil).user.id == .localUser)
            // Revoking every key does not reopen it.
            for key in try await harness.keys.keys(of: nil) { _ = try await harness.keys.revoke(key.id, at: clock.now()) }
            clock.advance(OpenLoopbackGate.recheckInterval * 2)
            #expect(try await resolver.keylessMode() == .keysRequired)
        }
    }

    @Test func openLoopbackTrue_keepsKeylessCallersTheLocalAdmin() async throws {
        try await Harness.run(apiKeys: []) { harness, _ throws in
            _ = try await harness.tenants.provisionUser(email: "ada@example.com", displayName: "Ada", role: .user)
            let resolver = IdentityResolver(
                tenants: harness.tenants, keys: harness.keys, staticKeys: [], proxyKeys: [], openLoopback: true)
            #expect(try await resolver.keylessMode() == .openByConfiguration)
            #expect(try await resolver.resolve(bearer: nil, forwarded: nil, contextName: nil).user.id == .localUser)
        }
    }
}
