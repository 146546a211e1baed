import Foundation
import TernCore
import TernTesting
import Testing

@testable import TernLLM

@Suite(.timeLimit(.minutes(1))) struct OpenAIClientChatTests {
    @Test func complete_echoesWithUsage() async throws {
        try await withFakeLLM { fake in
            let completion = try await withClient(fake) { try await $0.complete(userRequest("hi there")) }
            #expect(completion.content == "Echo: hi there")
            #expect(completion.finishReason == "stop")
            #expect(completion.model == "test-model")
            #expect(completion.usage == TokenUsage(promptTokens: 2, completionTokens: 3))
            #expect(completion.toolCalls.isEmpty)
        }
    }

    @Test func complete_withoutUsage_reportsAnEstimate() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.content("Hello").withoutUsage())
            let completion = try await withClient(fake) { try await $0.complete(userRequest("x")) }
            #expect(completion.content == "Hello")
            #expect(completion.usage == TokenUsage(promptTokens: 2, completionTokens: 2, estimated: true))
        }
    }

    @Test func complete_returnsToolCalls() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.toolCalls(FakeLLMToolCall(id: "call_a", name: "lookup", arguments: #"{"q":"swift"}"#)))
            let completion = try await withClient(fake) { try await $0.complete(userRequest("x")) }
            #expect(completion.content == "")
            #expect(completion.finishReason == "tool_calls")
            #expect(completion.toolCalls == [ToolCall(id: "call_a", name: "lookup", arguments: #"{"q":"swift"}"#)])
        }
    }

    @Test func stream_yieldsEachDeltaThenOneFinished() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.content("Hel", "lo ", "wörld 🌍", "", "!"))
            let outcome = try await withClient(fake) { await collect($0.stream(userRequest("one two three"))) }
            #expect(outcome.error == nil)
            #expect(outcome.contents == ["Hel", "lo ", "wörld 🌍", "!"])
            #expect(outcome.finished.count == 1)
            #expect(outcome.events.last == outcome.finished.first.map(ChatStreamEvent.finished))
            let completion = try #require(outcome.finished.first)
            #expect(completion.content == "Hello wörld 🌍!")
            #expect(completion.finishReason == "stop")
            #expect(completion.usage == TokenUsage(promptTokens: 3, completionTokens: 3))
            #expect(completion.model == "test-model")
        }
    }

    @Test func stream_withoutUsage_finishesWithAnEstimate() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.content("a", "b").withoutUsage())
            let outcome = try await withClient(fake) { await collect($0.stream(userRequest("x"))) }
            #expect(outcome.error == nil)
            let estimate = TokenUsage(promptTokens: 2, completionTokens: 1, estimated: true)
            #expect(outcome.finished == [ChatCompletion(content: "ab", finishReason: "stop", usage: estimate, model: "test-model")])
        }
    }

    @Test func stream_mergesToolCallDeltasByIndex_withRepeatedIDsAndNames() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(
                .toolCalls(
                    FakeLLMToolCall(id: "call_1", name: "get_weather", argumentPieces: [#"{"ci"#, #"ty":"Pa"#, #"ris"}"#]),
                    FakeLLMToolCall(id: "call_2", name: "get_time", argumentPieces: ["{}"]),
                    content: ["Let me check."]))
            let outcome = try await withClient(fake) { await collect($0.stream(userRequest("weather?"))) }
            #expect(outcome.error == nil)
            #expect(outcome.contents == ["Let me check."])
            let completion = try #require(outcome.finished.first)
            #expect(completion.finishReason == "tool_calls")
            #expect(
                completion.toolCalls == [
                    ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#),
                    ToolCall(id: "call_2", name: "get_time", arguments: "{}"),
                ])
        }
    }

    @Test func stream_sendsStreamOptionsToolsAndAuthorization() async throws {
        try await withFakeLLM { fake in
            let tool = ToolDefinition(
                name: "lookup", description: "Looks things up", parameters: .object(["type": .string("object")]))
            var request = userRequest("hello", tools: [tool])
            request.messages.insert(ChatMessage(role: .system, content: "be brief"), at: 0)
            request.messages.append(
                ChatMessage(
                    role: .assistant, content: nil, toolCalls: [ToolCall(id: "c1", name: "lookup", arguments: "{}")]))
            request.messages.append(ChatMessage(role: .tool, content: "42", toolCallID: "c1"))
            request.temperature = 0.5
            request.maxTokens = 64
            _ = try await withClient(fake) { await collect($0.stream(request)) }

            let recorded = try #require(fake.recordedRequests().first)
            #expect(recorded.method == "POST")
            #expect(recorded.path == "/v1/chat/completions")
            #expect(recorded.header("Authorization") == "Bearer \(testAPIKey)")
            #expect(recorded.header("Content-Type") == "application/json")
            let json = try #require(recorded.json)
            #expect(json["stream"] == .bool(true))
            #expect(json["stream_options"]?["include_usage"] == .bool(true))
            #expect(json["model"] == .string("test-model"))
            #expect(json["temperature"] == .number(0.5))
            #expect(json["max_tokens"] == .number(64))
            #expect(json["tools"]?.arrayValue?.first?["function"]?["name"] == .string("lookup"))
            #expect(json["tools"]?.arrayValue?.first?["type"] == .string("function"))
            let messages = recorded.messages
            #expect(messages.map { $0["role"]?.stringValue } == ["system", "user", "assistant", "tool"])
            #expect(messages[2]["content"] == .string(""))  // never null: llama-cpp-python 500s on it
            #expect(messages[2]["tool_calls"]?.arrayValue?.first?["function"]?["arguments"] == .string("{}"))
            #expect(messages[2]["tool_calls"]?.arrayValue?.first?["type"] == .string("function"))
            #expect(messages[3]["tool_call_id"] == .string("c1"))
        }
    }

    @Test func complete_omitsStreamFieldsAndKey_whenNotConfigured() async throws {
        try await withFakeLLM { fake in
            _ = try await withClient(fake, configure: { $0.apiKey = nil }) { try await $0.complete(userRequest("x")) }
            let recorded = try #require(fake.recordedRequests().first)
            #expect(recorded.header("Authorization") == nil)
            #expect(recorded.json?["stream"] == nil)
            #expect(recorded.json?["stream_options"] == nil)
            #expect(recorded.json?["tools"] == nil)
        }
    }
}
