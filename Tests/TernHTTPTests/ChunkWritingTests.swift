import Foundation
import NIOCore
import TernCore
import Testing

@testable import TernHTTP

/// Answers and SSE chunks are written by hand; they must stay byte for byte what
/// `JSONEncoder.tern` writes for the same values (clients and snapshots see these bytes).
@Suite struct ChunkWritingTests {
    private let meta = ResponseMeta(id: "chatcmpl-1 \"/\\", created: 1_764_979_200, model: "tern/é")
    private let calls = [
        ToolCall(id: "call_1", name: "get_time", arguments: #"{"zone":"UTC"}"#),
        ToolCall(id: "call_2", name: "search", arguments: "{\n\"q\": \"a/b\"}"),
    ]

    private func encoded(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder.tern.encode(value), as: UTF8.self)
    }

    private func frame(_ buffer: ByteBuffer) -> String {
        String(buffer: buffer)
    }

    @Test func everyFrameKind_matchesJSONEncoder() throws {
        let framer = ChunkFramer(meta: meta)
        let chunk = { (choice: OpenAIWire.Chunk.Choice) in
            OpenAIWire.Chunk(id: meta.id, created: meta.created, model: meta.model, choices: [choice])
        }
        let wireCalls = calls.enumerated().map { OpenAIWire.ToolCallWire($0.element, index: $0.offset) }
        let cases: [(ByteBuffer, OpenAIWire.Chunk)] = [
            (try framer.roleFrame(), chunk(.init(delta: .init(role: "assistant", content: ""), finishReason: nil))),
            (
                try framer.contentFrame("Hi \"there\"\n\u{1}/é😀"),
                chunk(.init(delta: .init(content: "Hi \"there\"\n\u{1}/é😀"), finishReason: nil))
            ),
            (try framer.toolCallsFrame(calls), chunk(.init(delta: .init(toolCalls: wireCalls), finishReason: nil))),
            (try framer.finishFrame("stop"), chunk(.init(delta: .init(), finishReason: "stop"))),
            (
                try framer.usageFrame(TokenUsage(promptTokens: 12, completionTokens: 3, totalTokens: 15)),
                OpenAIWire.Chunk(
                    id: meta.id, created: meta.created, model: meta.model, choices: [],
                    usage: .init(TokenUsage(promptTokens: 12, completionTokens: 3, totalTokens: 15)))
            ),
        ]
        for (written, reference) in cases {
            #expect(frame(written) == "data: \(try encoded(reference))\n\n")
        }
    }

    @Test func completions_matchJSONEncoder() throws {
        let usage = OpenAIWire.Usage(TokenUsage(promptTokens: 1, completionTokens: 2, totalTokens: 3))
        let completions = [
            OpenAIWire.Completion(
                id: meta.id, created: meta.created, model: meta.model,
                choices: [.init(message: .init(content: "Echo: \"hi\"\t/", toolCalls: nil), finishReason: "stop")],
                usage: usage),
            OpenAIWire.Completion(
                id: meta.id, created: meta.created, model: meta.model,
                choices: [
                    .init(message: .init(content: nil, toolCalls: calls.map { OpenAIWire.ToolCallWire($0) }), finishReason: "tool_calls")
                ],
                usage: nil),
        ]
        for completion in completions {
            #expect(String(decoding: completion.jsonBytes, as: UTF8.self) == (try encoded(completion)))
        }
    }

    @Test func invalidJSONBody_saysWhereItBroke() throws {
        #expect(
            throws: APIError.invalid(
                "the request body is not valid JSON: unexpected character 'n', expected a string key at line 1, column 2", param: nil,
                code: "invalid_json")
        ) {
            try ChatCompletionRequest.parse(Data("{nope".utf8))
        }
    }
}
