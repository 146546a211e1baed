import Foundation
import TernCore
import Testing

@testable import TernLLM

/// The stream chunks read from a parsed tree and the request written with a `JSONWriter` agree
/// with the `Codable` conformances they replace on the hot path.
@Suite struct WireJSONTests {
    private func chunk(_ frame: String) throws -> WireChunk {
        try WireChunk(json: JSONValue(parsing: frame))
    }

    private func shapeError(_ frame: String) -> String? {
        do {
            _ = try chunk(frame)
            return nil
        } catch {
            return OpenAIClient.describe(frameError: error)
        }
    }

    @Test func chunks_mergeAsTheDecodableOnesDo() throws {
        let frames = [
            #"{"model":"m1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
            #"{"choices":[{"index":0,"delta":{"content":null}}],"usage":null}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_x","type":"function","function":{"name":"search","arguments":"{\"q\":"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_x","type":"function","function":{"name":"search","arguments":"\"swift\"}"}}]}}]}"#,
            #"{"choices":[{"delta":{"tool_calls":[{"id":"second","function":{"name":"b","arguments":{"k":[1,"/"]}}}]}}]}"#,
            #"{"choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"mine \u00e9"}}],"extra":{"x":[1]}}"#,
            #"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"#,
        ]
        var parsed = ChatStreamAccumulator()
        var decoded = ChatStreamAccumulator()
        for frame in frames {
            let fromTree = parsed.apply(try chunk(frame))
            let fromDecoder = decoded.apply(try JSONDecoder().decode(WireChunk.self, from: Data(frame.utf8)))
            #expect(fromTree == fromDecoder, "\(frame)")
        }
        #expect(parsed.completion == decoded.completion)
        #expect(
            parsed.completion.toolCalls == [
                ToolCall(id: "call_x", name: "search", arguments: #"{"q":"swift"}"#),
                ToolCall(id: "second", name: "b", arguments: #"{"k":[1,"/"]}"#),
            ])
        #expect(parsed.completion.usage == TokenUsage(promptTokens: 5, completionTokens: 1, totalTokens: 6))
    }

    @Test func chunks_ofTheWrongShape_nameTheField() {
        #expect(shapeError(#"{"choices":[{"delta":{"content":5}}]}"#) == ".choices[0].delta.content is not String")
        #expect(shapeError(#"{"choices":[{"index":"0"}]}"#) == ".choices[0].index is not Int")
        #expect(shapeError(#"{"choices":[{"index":1.5}]}"#) == ".choices[0].index is not Int")
        #expect(shapeError(#"{"choices":{}}"#) == ".choices is not Array<Any>")
        #expect(shapeError(#"{"choices":[1]}"#) == ".choices[0] is not Dictionary<String, Any>")
        #expect(shapeError(#"{"usage":{"total_tokens":"6"}}"#) == ".usage.total_tokens is not Int")
        #expect(shapeError(#"[1]"#) == "the body is not Dictionary<String, Any>")
        #expect(shapeError(#"{"choices":[}"#) == "not JSON (line 1, column 13)")
        #expect(shapeError(#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"a"}}]}}]}"#) == nil)
    }

    @Test func errorFrames_readLikeTheDecodableOnes() throws {
        let frames = [
            #"{"error":{"message":"slow down","code":429}}"#, #"{"error":{"message":"x","code":"503"}}"#,
            #"{"error":{"message":"long","code":"context_length_exceeded"}}"#, #"{"error":"boom"}"#,
            #"{"error":{"message":7,"code":1.5}}"#, #"{"error":null}"#,
        ]
        for frame in frames {
            let parsed = try chunk(frame).error
            let decoded = try JSONDecoder().decode(WireChunk.self, from: Data(frame.utf8)).error
            #expect(parsed?.message == decoded?.message, "\(frame)")
            #expect(parsed?.code == decoded?.code, "\(frame)")
            #expect(parsed?.codeName == decoded?.codeName, "\(frame)")
        }
        #expect(try chunk(#"{"error":{"code":"context_length_exceeded"}}"#).error?.codeName == "context_length_exceeded")
        #expect(shapeError(#"{"error":5}"#) == ".error is not Dictionary<String, Any>")
    }

    @Test func doneMarker_allowsBlanks() {
        #expect(OpenAIClient.isDone("[DONE]"))
        #expect(OpenAIClient.isDone(" [DONE]\t"))
        #expect(!OpenAIClient.isDone("[DONE] x"))
        #expect(!OpenAIClient.isDone(#"{"choices":[]}"#))
    }

    @Test func requests_writtenByHand_equalTheEncodableOnes() throws {
        let messages = [
            ChatMessage(role: .system, content: "be brief \"/\n\u{1}"),
            ChatMessage(role: .user, content: "é😀", name: "ann"),
            ChatMessage(
                role: .assistant, content: nil,
                toolCalls: [ToolCall(id: "c1", name: "search", arguments: #"{"q":"x"}"#)]),
            ChatMessage(role: .tool, content: "result", toolCallID: "c1"),
            ChatMessage(role: .assistant, content: "", toolCalls: []),
        ]
        let tools = [
            ToolDefinition(
                name: "search", description: "Search the web",
                parameters: ["type": "object", "properties": ["q": ["type": "string", "maxLength": 200]], "required": ["q"]]),
            ToolDefinition(name: "clock", description: "", parameters: ["type": "object"]),
        ]
        let requests = [
            ChatRequest(model: "m", messages: messages),
            ChatRequest(
                model: "m", messages: messages,
                sampling: SamplingParameters(
                    temperature: 0.7, topP: 1, maxTokens: 256, stop: ["\n\n", "END"], seed: 42,
                    responseFormat: ["type": "json_object"]),
                tools: tools, toolChoice: .function("search")),
            ChatRequest(model: "m", messages: messages, sampling: SamplingParameters(stop: []), tools: tools, toolChoice: .required),
            ChatRequest(model: "m", messages: messages, tools: tools, toolChoice: ToolChoice.none),
            ChatRequest(model: "m", messages: messages, tools: tools),
        ]
        for (index, request) in requests.enumerated() {
            for profile in ModelServerProfile.allCases {
                for stream in [false, true] {
                    let wire = WireChatRequest(request, stream: stream, profile: profile)
                    let written = try JSONValue(parsing: Data(wire.jsonBytes))
                    let encoded = try JSONValue(parsing: JSONEncoder().encode(wire))
                    #expect(written == encoded, "request \(index), \(profile), stream \(stream)")
                }
            }
        }
    }
}
