import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import TernCore
import TernTesting
import Testing
@testable import TernHTTP

/// `TERN_MAX_CONCURRENT_TURNS`: a turn holds its slot until its response, stream included, ends.
@Suite(.timeLimit(.minutes(1))) struct RateLimitTurnTests {
    static let local = RateLimitHarness.bearer(RateLimitHarness.apiKey)

    /// Opens a streamed chat turn and returns once its first content arrived; the task keeps
    /// reading until cancelled (which hangs up).
    static func openStream(port: Int) async throws -> Task<Void, any Error> {
        let (seen, signal) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(RateLimitHarness.apiKey)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(
                ByteBuffer(string: #"{"model":"tern","stream":true,"messages":[{"role":"user","content":"hi"}]}"#))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(50))
            var received = ""
            for try await chunk in response.body {
                received += String(buffer: chunk)
                if received.contains("held") { signal.yield() }
            }
        }
        for await _ in seen { return task }
        throw LimitsHarnessError.timedOut("the stream ended before its first content")
    }

    @Test func turnsBeyondTheLimit_get429_untilAStreamEnds() async throws {
        try await RateLimitHarness.run(RateLimitHarness.settings(perMinute: 0, turns: 2)) { harness throws in
            harness.fake.enqueue(
                .content("held", "never").stalling(afterChunks: 1), .content("held", "never").stalling(afterChunks: 1),
                .content("done"))
            let first = try await Self.openStream(port: harness.port)
            let second = try await Self.openStream(port: harness.port)
            // Both streams have sent their headers and are still running.
            let refused = try await harness.chat(Self.local)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "5")
            let message = try errorBody(refused.body)["message"] as? String ?? ""
            #expect(message.contains("at most 2 may run at the same time per user (TERN_MAX_CONCURRENT_TURNS)"))
            // Other routes are not turns.
            #expect(try await harness.client.execute(uri: "/admin/api/v1/contexts", method: .get, headers: Self.local).status == .ok)
            first.cancel()
            let key = "user:\(UserID.localUser.rawValue)"
            await harness.limiter.turns.waitUntil(key, runsAtMost: 1)  // the hang-up has reached the server
            #expect(harness.limiter.turns.count(key) == 1)
            #expect(try await harness.chat(Self.local).status == .ok)
            second.cancel()
            _ = await (first.result, second.result)
        }
    }

    @Test func aRefusedOrFailedTurn_holdsNoSlot() async throws {
        try await RateLimitHarness.run(RateLimitHarness.settings(perMinute: 0, turns: 1)) { harness throws in
            var headers = Self.local
            headers[.contentType] = "application/json"
            let bad = try await harness.client.execute(
                uri: "/v1/chat/completions", method: .post, headers: headers, body: ByteBuffer(string: "{"))
            #expect(bad.status == .badRequest)
            harness.fake.enqueue(.httpError(status: 400, message: "no"), .content("fine"))
            #expect(try await harness.chat(Self.local).status != .ok)
            #expect(try await harness.chat(Self.local).status == .ok)
            #expect(harness.limiter.turns.count("user:\(UserID.localUser.rawValue)") == 0)
        }
    }
}
