import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import TernAgent
import TernCore
@testable import TernHTTP
import TernTesting
import Testing

/// A slow model: streamed answers start at once and stay alive with SSE comments while the
/// model is silent. Asserts on the frames received, never on time.
@Suite struct StreamKeepAliveTests {
    static let limits = ServerLimits(streamKeepAlive: .milliseconds(20), streamStartGrace: .milliseconds(20))

    @Test func chatStream_sendsRoleChunkAndKeepAlivesWhileModelIsSilent() async throws {
        let model = SilentModel()
        try await LimitsHarness.run(limits: Self.limits, model: model) { port, _ in
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(LimitsHarness.apiKey)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(
                ByteBuffer(string: #"{"model":"tern","stream":true,"messages":[{"role":"user","content":"hi"}]}"#))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            // The head arrived while the model has said nothing.
            #expect(response.status == .ok)
            var frames = SSEFrames(response.body)
            let role = try await frames.next()
            #expect(role?.contains(#""role":"assistant""#) == true, "\(role ?? "nil")")
            #expect(try await frames.next() == ": keep-alive")
            #expect(try await frames.next() == ": keep-alive")
            model.speak.fire()
            var rest: [String] = []
            while let frame = try await frames.next() { rest.append(frame) }
            let data = rest.filter { !$0.hasPrefix(":") }
            #expect(data.first?.contains(#""content":"hello""#) == true, "\(rest)")
            #expect(data.last == "data: [DONE]")
        }
    }

    /// A turn that fails at once still gets a real status, not a 200 stream.
    @Test func chatStream_failingAtOnce_answersStatus() async throws {
        let limits = ServerLimits(streamKeepAlive: .milliseconds(20), streamStartGrace: .seconds(30))
        try await LimitsHarness.run(limits: limits) { _, client in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: LimitsHarness.authorized,
                body: ByteBuffer(string: #"{"model":"tern","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
            )
            #expect(response.status == .serviceUnavailable)
            #expect(try errorBody(response.body)["code"] as? String == "llm_not_configured")

        }
    }

    @Test func agentStream_sendsKeepAlivesWhileSilent() async throws {
        let model = SilentModel()
        try await LimitsHarness.run(limits: Self.limits, model: model) { port, _ in
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/agent")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(LimitsHarness.apiKey)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Accept", value: "text/event-stream")
            request.body = .bytes(ByteBuffer(string: #"{"input":"hi"}"#))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            #expect(response.status == .ok)
            var frames = SSEFrames(response.body)
            #expect(try await frames.next() == ": keep-alive")
            #expect(try await frames.next() == ": keep-alive")
            model.speak.fire()
            var rest: [String] = []
            while let frame = try await frames.next() { rest.append(frame) }
            let named = rest.filter { !$0.hasPrefix(":") }
            #expect(named.first?.hasPrefix("event: content") == true, "\(rest)")
            #expect(named.last?.hasPrefix("event: done") == true, "\(rest)")
        }
    }
}

/// Reads an SSE body frame by frame (frames end with a blank line).
struct SSEFrames {
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var pending = ""

    init(_ body: HTTPClientResponse.Body) { iterator = body.makeAsyncIterator() }

    mutating func next() async throws -> String? {
        while true {
            if let end = pending.range(of: "\n\n") {
                let frame = String(pending[..<end.lowerBound])
                pending.removeSubrange(..<end.upperBound)
                return frame
            }
            guard let buffer = try await iterator.next() else { return nil }
            pending += String(buffer: buffer)
        }
    }
}

/// A model that says nothing until told to, then answers "hello".
final class SilentModel: ModelProvider {
    let speak = OneShotSignal()

    func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        await speak.wait()
        return ChatCompletion(content: "hello", finishReason: "stop")
    }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let speak = speak
        return AsyncThrowingStream { continuation in
            let task = Task {
                await speak.wait()
                continuation.yield(.content("hello"))
                continuation.yield(.finished(ChatCompletion(content: "hello", finishReason: "stop")))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func models() async throws -> [ModelInfo] { [ModelInfo(id: "m")] }
    func embed(_ inputs: [String], model: String?) async throws -> [[Float]] { inputs.map { _ in [0] } }
}
