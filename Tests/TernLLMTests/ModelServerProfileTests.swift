import Foundation
import Testing
import TernCore
import TernTesting

@testable import TernLLM

/// How each server profile shapes the wire request, and how `auto` finds the profile.
@Suite struct ModelServerProfileTests {
    static let clock = ToolDefinition(name: "clock", description: "The time", parameters: ["type": "object"])
    static let search = ToolDefinition(name: "search", description: "Search", parameters: ["type": "object"])

    /// The request body as sorted-key JSON text.
    private func wire(_ request: ChatRequest, stream: Bool, profile: ModelServerProfile) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(WireChatRequest(request, stream: stream, profile: profile)), as: UTF8.self)
    }

    private func request(tools: [ToolDefinition] = [clock], choice: ToolChoice? = nil) -> ChatRequest {
        ChatRequest(
            model: "m",
            messages: [
                ChatMessage(role: .user, content: "hi"),
                ChatMessage(role: .assistant, content: nil, toolCalls: [ToolCall(id: "c1", name: "clock", arguments: "{}")]),
                ChatMessage(role: .tool, content: "12:00", toolCallID: "c1"),
            ],
            sampling: SamplingParameters(
                temperature: 0, topP: 0.9, maxTokens: 5, stop: ["\n\n"], seed: 42, responseFormat: ["type": "json_object"]),
            tools: tools, toolChoice: choice)
    }

    private let messagesJSON =
        #"[{"content":"hi","role":"user"},{"content":"","role":"assistant","tool_calls":[{"function":{"arguments":"{}","name":"clock"},"id":"c1","type":"function"}]},{"content":"12:00","role":"tool","tool_call_id":"c1"}]"#
    private let samplingJSON = #""max_tokens":5"#
    private let clockJSON = #"[{"function":{"description":"The time","name":"clock","parameters":{"type":"object"}},"type":"function"}]"#

    @Test func openai_streamed_forwardsEverySamplingParameterToolsAndChoice() throws {
        let json = try wire(request(choice: .required), stream: true, profile: .openai)
        #expect(
            json == #"{"max_tokens":5,"messages":"# + messagesJSON
                + #","model":"m","response_format":{"type":"json_object"},"seed":42,"stop":["\n\n"],"stream":true,"#
                + #""stream_options":{"include_usage":true},"temperature":0,"tool_choice":"required","tools":"# + clockJSON
                + #","top_p":0.9}"#)
    }

    @Test(arguments: [ModelServerProfile.openai, .vllm, .llamaServer, .ollama])
    func passThroughProfiles_sendToolsWithoutChoice_whenNoneIsGiven(profile: ModelServerProfile) throws {
        let json = try wire(request(), stream: false, profile: profile)
        #expect(json.contains(#""tools":"# + clockJSON))
        #expect(!json.contains("tool_choice"))
        #expect(!json.contains("stream"))
    }

    @Test func llamaCpp_withoutChoice_sendsNoTools_andNoStreamOptions() throws {
        let json = try wire(request(), stream: true, profile: .llamaCpp)
        #expect(
            json == #"{"max_tokens":5,"messages":"# + messagesJSON
                + #","model":"m","response_format":{"type":"json_object"},"seed":42,"stop":["\n\n"],"stream":true,"#
                + #""temperature":0,"top_p":0.9}"#)
    }

    @Test func llamaCpp_autoAndNone_sendNoTools() throws {
        for choice in [ToolChoice.auto, .none] {
            let json = try wire(request(choice: choice), stream: false, profile: .llamaCpp)
            #expect(!json.contains("tools"))
            #expect(!json.contains("tool_choice"))
        }
    }

    @Test func llamaCpp_namedChoice_sendsToolsAndTheNamedChoice() throws {
        let json = try wire(request(choice: .function("clock")), stream: false, profile: .llamaCpp)
        #expect(json.contains(#""tool_choice":{"function":{"name":"clock"},"type":"function"}"#))
        #expect(json.contains(#""tools":"# + clockJSON))
    }

    @Test func llamaCpp_required_namesTheOnlyTool_orFallsBackToAuto() {
        #expect(ModelServerProfile.llamaCpp.toolOffer(for: request(choice: .required)).choice == .function("clock"))
        let two = ModelServerProfile.llamaCpp.toolOffer(for: request(tools: [Self.clock, Self.search], choice: .required))
        #expect(two.choice == .auto)
        #expect(two.tools.count == 2)
    }

    @Test func toolChoice_isLeftOut_whenNoToolsAreSent() throws {
        let json = try wire(request(tools: [], choice: .auto), stream: false, profile: .openai)
        #expect(!json.contains(#""tools""#) && !json.contains("tool_choice"))
        #expect(json.contains(samplingJSON))
    }

    @Test(
        arguments: [
            (["me"], nil, ModelServerProfile.llamaCpp), (["llamacpp"], nil, .llamaServer), (["vllm"], "uvicorn", .vllm),
            (["library"], nil, .ollama), (["openai", "system"], nil, .openai), ([], "llama.cpp", .llamaServer),
        ] as [([String], String?, ModelServerProfile)])
    func detect_readsOwnedByThenServerHeader(owners: [String], header: String?, expected: ModelServerProfile) {
        #expect(ModelServerProfile.detect(ownedBy: owners, serverHeader: header) == expected)
    }

    @Test func detect_unknownServer_isNil() {
        #expect(ModelServerProfile.detect(ownedBy: ["someone"], serverHeader: "uvicorn") == nil)
    }

    @Test func auto_detectsLlamaCppOnce_andShapesRequestsForIt() async throws {
        try await withFakeLLM(quirks: .llamaCppPython) { fake in
            try await withClient(fake, configure: { $0.profile = nil }) { client in
                _ = try await client.complete(userRequest("one", tools: [Self.clock]))
                _ = await collect(client.stream(userRequest("two", tools: [Self.clock])))
            }
            let requests = fake.recordedRequests()
            #expect(requests.map(\.path).filter { $0 == "/v1/models" }.count == 1)
            let chats = requests.filter { $0.path == "/v1/chat/completions" }
            #expect(chats.count == 2)
            #expect(chats.allSatisfy { $0.json?["tools"] == nil })
            #expect(chats[1].json?["stream_options"] == nil)
        }
    }

    @Test func auto_unknownServer_fallsBackToOpenAI() async throws {
        try await withFakeLLM { fake in
            try await withClient(fake, configure: { $0.profile = nil }) { client in
                _ = try await client.complete(userRequest("one", tools: [Self.clock]))
                #expect(client.profiles.detected == .openai)
            }
            let chat = try #require(fake.recordedRequests().last)
            #expect(chat.json?["tools"]?.arrayValue?.count == 1)
        }
    }

    @Test func llamaCppQuirk_dropsToolsWithoutChoice_andNamedChoiceGetsTheCall() async throws {
        try await withFakeLLM(quirks: .llamaCppPython) { fake in
            let call = FakeLLMToolCall(id: "c1", name: "clock", arguments: "{}")
            fake.enqueue(.toolCalls(call), .toolCalls(call))
            try await withClient(fake, configure: { $0.profile = .openai }) { client in
                // Sent the OpenAI way (tools, no tool_choice), the real server drops the tools.
                let dropped = try await client.complete(userRequest("time?", tools: [Self.clock]))
                #expect(dropped.toolCalls.isEmpty)
            }
            try await withClient(fake, configure: { $0.profile = .llamaCpp }) { client in
                var request = userRequest("time?", tools: [Self.clock])
                request.toolChoice = .function("clock")
                let named = try await client.complete(request)
                #expect(named.toolCalls.map(\.name) == ["clock"])
            }
        }
    }
}
