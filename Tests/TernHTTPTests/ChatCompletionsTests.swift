import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import SQLKit
import TernHTTP
import TernStore
import Testing
import TernCore
import TernTesting

@Suite(.timeLimit(.minutes(1))) struct ChatCompletionsTests {
    @Test func models_listsTheAgent() async throws {
        try await Harness.run { _, client throws in
            let response = try await client.execute(uri: "/v1/models", method: .get, headers: .authorized)
            #expect(response.status == .ok)
            let body = try json(response.body)
            #expect(body["object"] as? String == "list")
            let ids = (body["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == ["tern", "tern/default"])
        }
    }

    @Test func nonStreamed_answersAndStoresBothMessagesWithUsage() async throws {
        try await Harness.run { harness, client throws in
            harness.fake?.enqueue(.content("Hi ", "there").usage(.exact(TokenUsage(promptTokens: 7, completionTokens: 2))))
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: chatBody("hello"))
            #expect(response.status == .ok)
            let body = try json(response.body)
            #expect(body["object"] as? String == "chat.completion")
            #expect(body["model"] as? String == "tern")
            let choice = (body["choices"] as? [[String: Any]])?.first
            #expect((choice?["message"] as? [String: Any])?["content"] as? String == "Hi there")
            #expect(choice?["finish_reason"] as? String == "stop")
            #expect((body["usage"] as? [String: Any])?["total_tokens"] as? Int == 9)

            let upstream = try #require(harness.fake?.chatRequests().first)
            #expect(upstream.path == "/v1/chat/completions")
            #expect(try await harness.count("messages") == 2)
        }
    }

    @Test func streamed_sendsChunksThenDone() async throws {
        try await Harness.run { harness, client throws in
            harness.fake?.enqueue(.content("one ", "two"))
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized,
                body: chatBody("count", stream: true, extra: #","stream_options":{"include_usage":true}"#))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let frames = sseData(response.body)
            #expect(frames.last == "[DONE]")
            let chunks = try frames.dropLast().map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
            }
            #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
            #expect(Set(chunks.compactMap { $0["id"] as? String }).count == 1)
            let deltas = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]) }
            #expect(deltas.first?["role"] as? String == "assistant")
            #expect(deltas.compactMap { $0["content"] as? String }.joined() == "one two")
            let finish = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String }
            #expect(finish == ["stop"])
            #expect(chunks.last?["usage"] is [String: Any])
        }
    }

    @Test func userMessage_isStoredBeforeTheModelAnswers() async throws {
        try await Harness.run { harness, client throws in
            let fake = try #require(harness.fake)
            fake.enqueue(.hang)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let caller = Task {
                try await http.execute(chatRequest(port: client.port, body: chatBody("remember me")), timeout: .seconds(30))
            }
            await fake.waitForChatRequests(count: 1)
            // The model has not said a word yet, and the user's message is already stored.
            let history = try await harness.database.read { db in
                try await db.raw("SELECT role, content FROM messages").all()
            }
            #expect(history.count == 1)
            #expect(try history.first?.decode(column: "content", as: String.self) == "remember me")
            caller.cancel()
            _ = await caller.result
            try await http.shutdown().get()
            await fake.waitForClientDisconnects(count: 1)
        }
    }

    @Test func noModelConfigured_answers503NamingTheSetting() async throws {
        try await Harness.run(llm: false) { harness, client throws in
            for stream in [false, true] {
                let response = try await client.execute(
                    uri: "/v1/chat/completions", method: .post, headers: .authorized, body: chatBody(stream: stream))
                #expect(response.status == .serviceUnavailable)
                let error = try errorBody(response.body)
                #expect((error["message"] as? String)?.contains("TERN_LLM_BASE_URL") == true)
                #expect(error["code"] as? String == "llm_not_configured")
            }
            // The user's words are kept even though no model could answer.
            #expect(try await harness.count("messages") == 2)
        }
    }

    @Test(arguments: [false, true])
    func upstreamFailingBeforeFirstToken_isA502SayingTheModelServerFailed_neverWhereOrItsBody(_ stream: Bool) async throws {
        try await Harness.run { harness, client throws in
            harness.fake?.enqueue(
                .httpError(status: 500, message: "model exploded"), .httpError(status: 500, message: "model exploded"))
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: chatBody(stream: stream))
            #expect(response.status == .badGateway)
            let error = try errorBody(response.body)
            // The client learns that the model server failed and how, never its address or the
            // upstream body (both are logged).
            #expect((error["message"] as? String)?.hasPrefix("model server answered 500: ") == true)
            #expect((error["message"] as? String)?.contains("model exploded") == false)
            #expect((error["message"] as? String)?.contains("127.0.0.1") == false)
            #expect(harness.fake?.chatRequests().count == 2)  // one retry
        }
    }

    @Test func upstreamFailingMidStream_endsWithAnErrorFrame_andKeepsThePartialAnswer() async throws {
        try await Harness.run { harness, client throws in
            harness.fake?.enqueue(.content("partial ", "never").failing(afterChunks: 1, message: "upstream broke"))
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: chatBody(stream: true))
            #expect(response.status == .ok)
            let frames = sseData(response.body)
            #expect(frames.contains { $0.contains("\"content\":\"partial \"") })
            let last = try #require(frames.last)
            #expect(last.contains("\"error\"") && last.contains("500") && !last.contains("upstream broke"))
            let stored = await harness.store.next { $0.role == .assistant }
            #expect(stored?.content == "partial ")
            #expect(stored?.status == .incomplete)
            // What the broken answer cost is still counted (estimated: the server never said).
            #expect(stored?.usage?.estimated == true)
            #expect((stored?.usage?.completionTokens ?? 0) > 0)
        }
    }

    @Test func clientDisconnect_cancelsUpstream_andStoresThePartialAnswerIncomplete() async throws {
        try await Harness.run { harness, client throws in
            let fake = try #require(harness.fake)
            fake.enqueue(.content("first ", "second").stalling(afterChunks: 1))
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let request = chatRequest(port: client.port, body: chatBody("go", stream: true))
            let reader = Task {
                let response = try await http.execute(request, timeout: .seconds(30))
                for try await buffer in response.body where String(buffer: buffer).contains("first ") {
                    return  // leave mid-answer: the body is dropped and the connection closes
                }
            }
            try await reader.value
            try await http.shutdown().get()
            await fake.waitForClientDisconnects(count: 1)
            let stored = await harness.store.next { $0.role == .assistant }
            #expect(stored?.content == "first ")
            #expect(stored?.status == .incomplete)
        }
    }

    @Test func clientDisconnect_duringANonStreamedTurn_cancelsUpstreamToo() async throws {
        try await Harness.run { harness, client throws in
            let fake = try #require(harness.fake)
            fake.enqueue(.hang)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let caller = Task { try await http.execute(chatRequest(port: client.port, body: chatBody("go")), timeout: .seconds(30)) }
            await fake.waitForChatRequests(count: 1)
            caller.cancel()  // the client gives up and closes its connection
            _ = await caller.result
            try await http.shutdown().get()
            // Tern notices at once and drops the upstream call, instead of waiting for the model.
            await fake.waitForClientDisconnects(count: 1)
        }
    }

    @Test func finishedTurns_leaveNoHangUpWatchBehind_onAKeepAliveConnection() async throws {
        try await Harness.run { harness, client throws in
            for stream in [false, true, false, true] {
                let response = try await client.execute(
                    uri: "/v1/chat/completions", method: .post, headers: .authorized, body: chatBody(stream: stream))
                #expect(response.status == .ok)
            }
            #expect(harness.connections.pendingActions == 0)
        }
    }

    @Test func conversations_followTheHeaderOrTheFirstMessage() async throws {
        try await Harness.run { harness, client throws in
            var headers = HTTPFields.authorized
            headers[HTTPField.Name("X-Tern-Conversation-Id")!] = "thread-1"
            for _ in 0..<2 {
                _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: headers, body: chatBody("a"))
            }
            #expect(try await harness.count("conversations") == 1)
            // Without the header: the same first message continues a thread, another starts one.
            let thread =
                #"{"model":"tern","messages":[{"role":"user","content":"start"},{"role":"assistant","content":"ok"},{"role":"user","content":"more"}]}"#
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: .authorized, body: chatBody("start"))
            _ = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: ByteBuffer(string: thread))
            #expect(try await harness.count("conversations") == 2)
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: .authorized, body: chatBody("other"))
            #expect(try await harness.count("conversations") == 3)
            // The client's own history is what the model sees.
            let last = try #require(harness.fake?.chatRequests().dropLast().last)
            let messages = (last.json?["messages"]?.arrayValue ?? []).compactMap { $0["content"]?.stringValue }
            #expect(messages == ["start", "ok", "more"])
        }
    }
}

/// A chat request for AsyncHTTPClient, for tests that need to drop the connection themselves.
func chatRequest(port: Int?, body: ByteBuffer) -> HTTPClientRequest {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port ?? 0)/v1/chat/completions")
    request.method = .POST
    request.headers.add(name: "Authorization", value: "Bearer \(Harness.apiKey)")
    request.body = .bytes(body)
    return request
}
