import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TernStore
import Testing
import TernCore
import TernHTTP
import TernTesting

/// The OpenAI-shaped error answers of the common refusals, status line, headers and body byte
/// for byte, recorded under `Snapshots/ErrorSnapshotTests/` (see Snapshot.swift to re-record).
@Suite(.timeLimit(.minutes(1))) struct ErrorSnapshotTests {
    @Test func missingKey_is401() async throws {
        try await Harness.run(clock: SnapshotScrubber.clock) { _, client throws in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: [.contentType: "application/json"], body: chatBody())
            expectSnapshot(HTTPSnapshot.render(response), named: "401-missing-key")
        }
    }

    @Test func badField_is400NamingIt() async throws {
        try await Harness.run(clock: SnapshotScrubber.clock) { _, client throws in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized,
                body: ByteBuffer(string: #"{"model":"tern","temperature":7,"messages":[{"role":"user","content":"x"}]}"#))
            expectSnapshot(HTTPSnapshot.render(response), named: "400-bad-field")
        }
    }

    @Test func notJSON_is400() async throws {
        try await Harness.run(clock: SnapshotScrubber.clock) { _, client throws in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: ByteBuffer(string: "{nope"))
            expectSnapshot(HTTPSnapshot.render(response), named: "400-not-json")
        }
    }

    @Test func unknownModel_is404() async throws {
        try await Harness.run(clock: SnapshotScrubber.clock) { _, client throws in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized,
                body: ByteBuffer(string: #"{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}"#))
            expectSnapshot(HTTPSnapshot.render(response), named: "404-unknown-model")
        }
    }

    @Test func oversizedChatBody_is413() async throws {
        try await LimitsHarness.run(limits: ServerLimits(maxChatBodyBytes: 1024)) { _, client in
            let content = String(repeating: "x", count: 2000)
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: LimitsHarness.authorized,
                body: ByteBuffer(string: #"{"model":"tern","messages":[{"role":"user","content":"\#(content)"}]}"#))
            expectSnapshot(HTTPSnapshot.render(response), named: "413-chat-body")
        }
    }

    /// A second chat turn inside a burst of one: 429 with `Retry-After`.
    @Test func overTheBurst_is429WithRetryAfter() async throws {
        try await RateLimitHarness.run(RateLimitHarness.settings(perMinute: 60, burst: 1)) { harness throws in
            harness.fake.enqueue(.content("ok"))
            let bearer = RateLimitHarness.bearer(RateLimitHarness.apiKey)
            #expect(try await harness.chat(bearer).status == .ok)
            expectSnapshot(HTTPSnapshot.render(try await harness.chat(bearer)), named: "429-rate-limited")
        }
    }

    /// A viewer of a shared context may not decide approvals: refused before any lookup.
    @Test func viewerDecidingAnApproval_is403RoleForbids() async throws {
        try await Harness.run(tools: [try EchoTool("wipe", risk: .dangerous)], clock: SnapshotScrubber.clock) {
            harness, client throws in
            let context = try await harness.tenants.createContext(name: "team", kind: .shared, owner: .localUser)
            let (viewer, _) = try await harness.tenants.provisionUser(
                email: "viewer@example.com", displayName: "Viewer", role: .user)
            _ = try await harness.tenants.addMember(viewer.id, to: context.id, role: .viewer)
            let key = try await harness.keys.createKey(for: viewer.id, context: nil, name: "own").1
            let response = try await client.execute(
                uri: "/v1/approvals/no-such-approval", method: .post,
                headers: IdentityTests.headers(bearer: key, ["X-Tern-Context": "team"]),
                body: ByteBuffer(string: #"{"decision":"approve"}"#))
            expectSnapshot(HTTPSnapshot.render(response), named: "403-role-forbids")
        }
    }

    @Test func noModelConfigured_is503NamingTheSetting() async throws {
        try await Harness.run(llm: false, clock: SnapshotScrubber.clock) { _, client throws in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: chatBody(stream: true))
            expectSnapshot(HTTPSnapshot.render(response), named: "503-no-model")
        }
    }
}
