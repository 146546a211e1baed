import Foundation
import Testing
import TernCore
import TernTesting

@testable import TernLLM

/// Streams that end without a `finish_reason` are errors, never complete answers.
@Suite struct OpenAIClientIncompleteTests {
    /// Asserts the stream yielded `contents`, no `.finished`, and ended with `.incomplete`.
    private func expectIncomplete(_ outcome: StreamOutcome, contents: [String], fake: FakeLLMServer) {
        #expect(outcome.contents == contents)
        #expect(outcome.finished.isEmpty, "a cut stream must not finish (its tool calls could run)")
        guard case .incomplete(let endpoint, _, let usage)? = outcome.error as? ModelError else {
            Issue.record("expected .incomplete, got \(String(describing: outcome.error))")
            return
        }
        #expect(endpoint == chatEndpoint(fake))
        #expect(usage?.estimated == true)
        #expect((usage?.completionTokens ?? 0) >= 1)
    }

    @Test func stream_interruptedByAConcurrentRequest_throwsIncompleteAfterThePartialContent() async throws {
        try await withFakeLLM(quirks: .llamaCppPython) { fake in
            fake.enqueue(.content("Once", " upon", " a time").stalling(afterChunks: 1))
            try await withClient(fake, configure: { $0.profile = .llamaCpp }) { client in
                var events: [ChatStreamEvent] = []
                var thrown: (any Error)?
                do {
                    for try await event in client.stream(userRequest("tell a story")) {
                        events.append(event)
                        // The first piece arrived: another request now cuts the stream, as the
                        // reachability check did against llama-cpp-python.
                        if events.count == 1 { _ = try await client.models() }
                    }
                } catch {
                    thrown = error
                }
                expectIncomplete(StreamOutcome(events: events, error: thrown), contents: ["Once"], fake: fake)
            }
        }
    }

    /// Another replica's (or another Tern's) reachability check must not cut a stream on
    /// llama-cpp-python: its `/v1/models` takes the model's lock, which ends every running
    /// stream; the check asks FastAPI's `/docs`, which takes none (a real llama-cpp-python server
    /// cut an interop test's turn this way: two Terns shared one server).
    @Test func reachabilityCheck_onLlamaCppPython_doesNotCutAnotherClientsStream() async throws {
        try await withFakeLLM(quirks: .llamaCppPython) { fake in
            fake.enqueue(.content("Once", " upon", " a time").stalling(afterChunks: 1))
            try await withClient(fake, configure: { $0.profile = .llamaCpp }) { client in
                try await withClient(fake, configure: { $0.profile = .llamaCpp }) { replica in
                    var events: [ChatStreamEvent] = []
                    var thrown: (any Error)?
                    do {
                        for try await event in client.stream(userRequest("tell a story")) {
                            events.append(event)
                            guard events.count == 1 else { continue }
                            try await replica.checkReachability()
                            #expect(fake.docsRequests == 1)
                            #expect(fake.interruptedStreams == 0, "the reachability check cut the stream")
                            // What the check asked before does cut it, on the fake as on the real server.
                            _ = try await replica.models()
                        }
                    } catch {
                        thrown = error
                    }
                    #expect(fake.interruptedStreams == 1)
                    expectIncomplete(StreamOutcome(events: events, error: thrown), contents: ["Once"], fake: fake)
                }
            }
        }
    }

    /// The page beside the API, whatever path the base URL has.
    @Test func docsPath_isBesideTheAPI() {
        #expect(OpenAIClient.docsPath(basePath: "/v1") == "/docs")
        #expect(OpenAIClient.docsPath(basePath: "/v1/") == "/docs")
        #expect(OpenAIClient.docsPath(basePath: "/llm/v1") == "/llm/docs")
        #expect(OpenAIClient.docsPath(basePath: "") == "/docs")
        #expect(OpenAIClient.docsPath(basePath: "/openai") == "/openai/docs")
    }

    /// A server (or a proxy) without the page, configured as llama-cpp: its 404 is no evidence
    /// of a live model server, so the check asks `GET /models` then and from then on.
    @Test func reachabilityCheck_withoutTheDocsPage_fallsBackToTheModels() async throws {
        try await withFakeLLM { fake in
            try await withClient(fake, configure: { $0.profile = .llamaCpp }) { client in
                try await client.checkReachability()
                try await client.checkReachability()
                #expect(fake.docsRequests == 1)
                #expect(fake.recordedRequests().map(\.path) == ["/v1/models", "/v1/models"])
            }
        }
    }

    /// Elsewhere the check still asks `GET /models`.
    @Test func reachabilityCheck_elsewhere_asksForTheModels() async throws {
        try await withFakeLLM { fake in
            try await withClient(fake, configure: { $0.profile = .openai }) { client in
                try await client.checkReachability()
                #expect(fake.recordedRequests().map(\.path) == ["/v1/models"])
            }
        }
    }

    @Test func stream_doneWithoutFinishReason_neverReturnsTruncatedToolCalls() async throws {
        try await withFakeLLM(quirks: .llamaCppPython) { fake in
            let call = FakeLLMToolCall(id: "c1", name: "clock", argumentPieces: [#"{"zo"#, #"ne": "UTC"}"#])
            fake.enqueue(.toolCalls(call, content: ["Checking"]).stalling(afterChunks: 2))
            try await withClient(fake, configure: { $0.profile = .llamaCpp }) { client in
                var request = userRequest("time?", tools: [Self.clock])
                request.toolChoice = .function("clock")
                var events: [ChatStreamEvent] = []
                var thrown: (any Error)?
                do {
                    for try await event in client.stream(request) {
                        events.append(event)
                        if events.count == 1 { _ = try await client.models() }
                    }
                } catch {
                    thrown = error
                }
                // Content and half the arguments arrived, then [DONE] without finish_reason.
                expectIncomplete(StreamOutcome(events: events, error: thrown), contents: ["Checking"], fake: fake)
            }
        }
    }

    @Test func incomplete_mapsToAClearDescription() {
        let error = ModelError.incomplete(
            endpoint: "POST 127.0.0.1:8000/v1/chat/completions", reason: "the stream ended with [DONE] but no finish_reason",
            usage: nil)
        #expect(
            error.description
                == "model server's answer on POST 127.0.0.1:8000/v1/chat/completions was cut off: "
                + "the stream ended with [DONE] but no finish_reason")
    }

    static let clock = ToolDefinition(
        name: "clock", description: "The time", parameters: ["type": "object", "properties": ["zone": ["type": "string"]]])
}
