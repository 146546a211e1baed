import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TernHTTP
import Synchronization
import Testing

/// Oversized bodies answer 413 naming the limit (never 500); wrong methods answer 405 with `Allow`.
@Suite struct BodyAndMethodLimitTests {
    static let limits = ServerLimits(maxChatBodyBytes: 1024)

    @Test func chatBody_overLimit_answers413NamingTheSetting() async throws {
        try await LimitsHarness.run(limits: Self.limits) { _, client in
            let content = String(repeating: "x", count: 2000)
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: LimitsHarness.authorized,
                body: ByteBuffer(string: #"{"model":"tern","messages":[{"role":"user","content":"\#(content)"}]}"#)
            )
            #expect(response.status == .contentTooLarge)
            let error = try errorBody(response.body)
            #expect(error["code"] as? String == "request_too_large")
            #expect(error["type"] as? String == "invalid_request_error")
            let message = error["message"] as? String ?? ""
            #expect(message.contains("1 KiB") && message.contains("TERN_MAX_BODY_MB"), "\(message)")

        }
    }

    /// A chunked body declares no length: the cap is hit while reading, still a 413.
    @Test func chatBody_chunkedOverLimit_answers413() async throws {
        try await LimitsHarness.run(limits: Self.limits) { port, _ in
            let connection = try await RawConnection.open(port: port)
            let chunk = String(repeating: "x", count: 1500)
            let request =
                "POST /v1/chat/completions HTTP/1.1\r\nHost: tern\r\nAuthorization: Bearer \(LimitsHarness.apiKey)\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "\(String(chunk.utf8.count, radix: 16))\r\n\(chunk)\r\n0\r\n\r\n"
            let received = try await connection.sendAndReadToEnd(request)
            #expect(received.hasPrefix("HTTP/1.1 413"), "\(received)")
            #expect(received.contains("TERN_MAX_BODY_MB"))
        }
    }

    /// Other routes keep their smaller cap, also answered 413 naming it.
    @Test func agentBody_overItsCap_answers413() async throws {
        try await LimitsHarness.run(limits: ServerLimits()) { _, client in
            let input = String(repeating: "x", count: 100 * 1024)
            let response = try await client.execute(
                uri: "/v1/agent", method: .post, headers: LimitsHarness.authorized,
                body: ByteBuffer(string: #"{"input":"\#(input)"}"#)
            )
            #expect(response.status == .contentTooLarge)
            let message = try errorBody(response.body)["message"] as? String ?? ""
            #expect(message.contains("64 KiB"), "\(message)")

        }
    }

    @Test func wrongMethod_answers405WithAllow() async throws {
        try await LimitsHarness.run(limits: ServerLimits()) { _, client in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .get, headers: LimitsHarness.authorized)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "POST")
            #expect(try errorBody(response.body)["code"] as? String == "method_not_allowed")

            let health = try await client.execute(uri: "/healthz", method: .delete)
            #expect(health.status == .methodNotAllowed)
            #expect(health.headers[.allow] == "GET")

            let user = try await client.execute(uri: "/admin/api/v1/users/u1", method: .get, headers: LimitsHarness.authorized)
            #expect(user.status == .methodNotAllowed)
            #expect(user.headers[.allow]?.contains("PATCH") == true)

            let unknown = try await client.execute(uri: "/no/such/path", method: .get)
            #expect(unknown.status == .notFound)

        }
    }

    @Test func logThrottle_oneLinePerKeyPerInterval_boundedKeys() {
        let clock = ClockBox()
        let throttle = LogThrottle(interval: .seconds(60), maxKeys: 3, now: { clock.now })
        #expect(throttle.allows("a"))
        #expect(!throttle.allows("a"))
        #expect(throttle.allows("b"))
        clock.advance(.seconds(61))
        #expect(throttle.allows("a"))
        // A fourth key past the bound forgets the expired ones instead of growing.
        #expect(throttle.allows("c"))
        #expect(throttle.allows("d"))
        #expect(!throttle.allows("a"))
    }
}

final class ClockBox: Sendable {
    private let value = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { value.withLock { $0 } }
    func advance(_ duration: Duration) { value.withLock { $0 += duration } }
}
