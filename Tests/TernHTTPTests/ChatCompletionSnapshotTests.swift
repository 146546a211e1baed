import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TernCore
import TernTesting

/// What an OpenAI client receives from `POST /v1/chat/completions`, byte for byte: the
/// `chat.completion` body and the `chat.completion.chunk` SSE frames, recorded under
/// `Snapshots/ChatCompletionSnapshotTests/` (see Snapshot.swift to re-record).
@Suite(.timeLimit(.minutes(1))) struct ChatCompletionSnapshotTests {
    /// One turn through the real router, snapshotted as `name`.
    func expectTurn(
        _ name: String, replies: [FakeLLMReply], stream: Bool, extra: String = "", tools: [any Tool] = [],
        headers: HTTPFields = .authorized, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await Harness.run(tools: tools, clock: SnapshotScrubber.clock) { harness, client throws in
            harness.fake?.enqueue(replies)
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: headers,
                body: chatBody("hello", stream: stream, extra: extra))
            expectSnapshot(HTTPSnapshot.render(response), named: name, sourceLocation: sourceLocation)
        }
    }

    @Test func nonStreamed_plainAnswer() async throws {
        try await expectTurn("non-streamed-plain", replies: [.content("Hi ", "there").withoutUsage()], stream: false)
    }

    @Test func nonStreamed_withUsage() async throws {
        try await expectTurn(
            "non-streamed-usage",
            replies: [.content("Hi ", "there").usage(.exact(TokenUsage(promptTokens: 7, completionTokens: 2)))],
            stream: false)
    }

    @Test func streamed_plainAnswer() async throws {
        try await expectTurn("streamed-plain", replies: [.content("one ", "two").withoutUsage()], stream: true)
    }

    /// `stream_options.include_usage`: a last chunk with empty `choices` and the usage.
    @Test func streamed_withUsage() async throws {
        try await expectTurn(
            "streamed-usage",
            replies: [.content("one ", "two").usage(.exact(TokenUsage(promptTokens: 5, completionTokens: 2)))],
            stream: true, extra: #","stream_options":{"include_usage":true}"#)
    }

    /// A tool the agent runs itself: default verbosity shows a progress line before the answer.
    @Test(arguments: [false, true])
    func agentToolTurn_defaultVerbosity(stream: Bool) async throws {
        try await expectTurn(
            "\(stream ? "streamed" : "non-streamed")-agent-tool",
            replies: [
                .toolCalls(FakeLLMToolCall(id: "c1", name: "lookup", arguments: #"{"q":"x"}"#)),
                .content("The answer is x."),
            ],
            stream: stream, tools: [try EchoTool("lookup", output: "RESULT-TEXT")])
    }

    /// A tool the client offered: handed back with `finish_reason: tool_calls` (null content
    /// when not streamed, a `tool_calls` delta when streamed).
    @Test(arguments: [false, true])
    func clientToolCall(stream: Bool) async throws {
        try await expectTurn(
            "\(stream ? "streamed" : "non-streamed")-client-tool",
            replies: [.toolCalls(FakeLLMToolCall(id: "call_w", name: "get_weather", arguments: #"{"city":"Oslo"}"#))],
            stream: stream, extra: #","tools":[\#(ClientToolsTests.weatherTool)]"#)
    }

    /// The model fails after the first token: the stream ends with an `error` frame, no `[DONE]`.
    @Test func streamed_errorMidStream() async throws {
        try await expectTurn(
            "streamed-error-mid-stream",
            replies: [.content("partial ", "never").failing(afterChunks: 1, message: "upstream broke")],
            stream: true)
    }
}
