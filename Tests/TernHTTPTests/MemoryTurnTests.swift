import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TernCore
import TernTesting

/// Memory in the turn, as `tern serve` wires it: recalled memories reach the model with their
/// source, a failing embedding server leaves keyword recall and the turn working, "remember
/// that …" is kept, and the `remember`/`recall` tools run behind the tool guards.
@Suite(.timeLimit(.minutes(2))) struct MemoryTurnTests {
    let admin = AdminAPITests()
    static let embeddings = ["TERN_EMBEDDING_MODEL": "fake-embed"]
    static let documents = "contexts/\(ContextID.defaultContext)/memory/documents"
    static let vpn = ##"{"source": "docs/vpn.md", "text": "# VPN\n\nThe VPN gateway rotates its key every Monday at 06:00."}"##

    /// The text of every system message the model got in `request`.
    static func systemText(_ request: FakeLLMRecordedRequest?) -> String {
        (request?.messages ?? []).filter { $0["role"]?.stringValue == "system" }
            .compactMap { $0["content"]?.stringValue }.joined(separator: "\n")
    }

    func chat(_ client: some TestClientProtocol, _ text: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/chat/completions", method: .post, headers: .authorized, body: chatBody(text))
    }

    @Test func turn_givesTheModelTheRecalledFact_andItsSource() async throws {
        try await Harness.run(environment: Self.embeddings) { harness, client in
            #expect(try await admin.call(client, .post, Self.documents, Self.vpn).status == .created)
            let answer = try await chat(client, "When does the VPN key rotate?")
            #expect(answer.status == .ok)
            let request = harness.fake?.chatRequests().last
            let memory = Self.systemText(request)
            #expect(memory.contains("[docs/vpn.md] # VPN The VPN gateway rotates its key every Monday at 06:00."), "\(memory)")
            // The memories come right before the user's message.
            let roles = (request?.messages ?? []).map { $0["role"]?.stringValue ?? "" }
            #expect(roles.suffix(2) == ["system", "user"])
        }
    }

    @Test func failingEmbeddingServer_keywordRecallStillAnswers_andTheTurnSucceeds() async throws {
        let environment = Self.embeddings.merging(["TERN_EMBEDDING_BASE_URL": "http://127.0.0.1:9/v1"]) { $1 }
        try await Harness.run(environment: environment) { harness, client in
            let ingested = try await admin.call(client, .post, Self.documents, Self.vpn)
            #expect(ingested.status == .created)
            let report = try json(ingested.body)
            #expect(report["unembedded"] as? Int == 1)
            #expect((report["embedding_problem"] as? String)?.isEmpty == false)
            let answer = try await chat(client, "When does the VPN key rotate?")
            #expect(answer.status == .ok)
            let prompt = Self.systemText(harness.fake?.chatRequests().last)
            #expect(prompt.contains("[docs/vpn.md]"), "\(prompt)")
            let status = try json(try await admin.call(client, .get, "contexts/\(ContextID.defaultContext)/memory/settings").body)
            #expect(status["embedded"] as? Int == 0)
        }
    }

    @Test func rememberThat_isKept_andRecalledLater_asRememberedOnItsDate() async throws {
        try await Harness.run(environment: Self.embeddings) { harness, client in
            #expect(try await chat(client, "Remember that the staging database listens on port 6543.").status == .ok)
            // The write runs beside the turn: wait for it (bounded), then ask.
            let deadline = ContinuousClock.now + .seconds(20)
            var stored: [[String: Any]] = []
            while stored.isEmpty, ContinuousClock.now < deadline {
                let listed = try await admin.call(client, .get, "contexts/\(ContextID.defaultContext)/memory")
                stored = try json(listed.body)["data"] as? [[String: Any]] ?? []
                if stored.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(stored.first?["text"] as? String == "the staging database listens on port 6543.")
            #expect(stored.first?["source"] as? String == "user")
            #expect(try await chat(client, "Which port does the staging database use?").status == .ok)
            let memory = Self.systemText(harness.fake?.chatRequests().last)
            #expect(memory.contains("[remembered on 20") && memory.contains("port 6543"), "\(memory)")
        }
    }

    @Test func rememberAndRecallTools_runInTheTurn() async throws {
        try await Harness.run(environment: Self.embeddings) { harness, client in
            let fake = try #require(harness.fake)
            fake.enqueue(
                .toolCalls(FakeLLMToolCall(id: "c1", name: "remember", arguments: #"{"text": "Ana's team ships on Fridays."}"#)),
                .content("Noted."),
                .toolCalls(FakeLLMToolCall(id: "c2", name: "recall", arguments: #"{"query": "when does Ana's team ship"}"#)),
                .content("On Fridays."))
            #expect(try await chat(client, "Keep this: Ana's team ships on Fridays.").status == .ok)
            let listed = try json(try await admin.call(client, .get, "contexts/\(ContextID.defaultContext)/memory").body)
            let stored = listed["data"] as? [[String: Any]] ?? []
            #expect(stored.map { $0["source"] as? String } == ["tool:remember"])
            #expect(try await chat(client, "What did I say about Ana?").status == .ok)
            let toolOutput = (fake.chatRequests().last?.messages ?? []).filter { $0["role"]?.stringValue == "tool" }
                .compactMap { $0["content"]?.stringValue }.joined()
            #expect(toolOutput.contains("Ana's team ships on Fridays."), "\(toolOutput)")
        }
    }

    @Test func memoryTurnedOff_addsNothingToThePrompt() async throws {
        try await Harness.run(environment: Self.embeddings) { harness, client in
            #expect(try await admin.call(client, .post, Self.documents, Self.vpn).status == .created)
            let off = try await admin.call(
                client, .put, "contexts/\(ContextID.defaultContext)/memory/settings", #"{"enabled": false}"#)
            #expect(off.status == .ok)
            #expect(try await chat(client, "When does the VPN key rotate?").status == .ok)
            let prompt = Self.systemText(harness.fake?.chatRequests().last)
            #expect(!prompt.contains("docs/vpn.md"), "\(prompt)")
        }
    }
}
