import Foundation
import TernCore
import Testing

@testable import TernLLM

@Suite(.timeLimit(.minutes(1))) struct ChatStreamAccumulatorTests {
    private func merge(_ frames: [String]) throws -> (deltas: [String], completion: ChatCompletion) {
        var accumulator = ChatStreamAccumulator()
        var deltas: [String] = []
        for frame in frames {
            let chunk = try JSONDecoder().decode(WireChunk.self, from: Data(frame.utf8))
            if let delta = accumulator.apply(chunk) { deltas.append(delta) }
        }
        return (deltas, accumulator.completion)
    }

    @Test func contentEmptyNullAndMissing_yieldNothing() throws {
        let result = try merge([
            #"{"model":"m1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
            #"{"choices":[{"index":0,"delta":{"content":null}}]}"#,
            #"{"choices":[{"index":0,"delta":{}}]}"#,
            #"{"choices":[{"index":0,"delta":{"content":"hi"}}]}"#,
            #"{"model":"m2","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        ])
        #expect(result.deltas == ["hi"])
        #expect(result.completion == ChatCompletion(content: "hi", finishReason: "stop", model: "m1"))
    }

    @Test func usageInLastChunkWithEmptyChoices_isKept() throws {
        let result = try merge([
            #"{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"#,
        ])
        #expect(result.completion.usage == TokenUsage(promptTokens: 5, completionTokens: 1, totalTokens: 6))
    }

    @Test func toolCalls_repeatedIDsAndNames_areNotConcatenated() throws {
        let result = try merge([
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_x","type":"function","function":{"name":"search","arguments":"{\"q\":"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_y","function":{"name":"clock","arguments":""}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_x","type":"function","function":{"name":"search","arguments":"\"swift\"}"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        ])
        #expect(
            result.completion.toolCalls == [
                ToolCall(id: "call_x", name: "search", arguments: #"{"q":"swift"}"#),
                ToolCall(id: "call_y", name: "clock", arguments: "{}"),
            ])
        #expect(result.completion.finishReason == "tool_calls")
    }

    @Test func toolCalls_withoutIndexOrID_areMergedInOrder_andGetAnID() throws {
        let result = try merge([
            #"{"choices":[{"delta":{"tool_calls":[{"function":{"name":"a","arguments":"{"}}]}}]}"#,
            #"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"}"}}]}}]}"#,
            #"{"choices":[{"delta":{"tool_calls":[{"id":"second","function":{"name":"b","arguments":{"k":1}}}]}}]}"#,
        ])
        #expect(
            result.completion.toolCalls == [
                ToolCall(id: "call_0", name: "a", arguments: "{}"),
                ToolCall(id: "second", name: "b", arguments: #"{"k":1}"#),
            ])
    }

    @Test func otherChoices_areIgnored() throws {
        let result = try merge([
            #"{"choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"mine"}}]}"#
        ])
        #expect(result.deltas == ["mine"])
    }
}
