import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import TernStore
import Testing
import TernAgent
import TernCore
import TernTesting

/// What Open WebUI sends, as it sends it: chats named by `X-OpenWebUI-Chat-Id`, whole threads
/// resent every turn (also after an edit or a regenerate), `### Task:` background calls.
@Suite(.timeLimit(.minutes(1))) struct OpenWebUIChatTests {
    static let proxyKey = "open-webui-proxy-key-0123456789"

    static func headers(chat: String?, email: String = "ann@example.com") -> HTTPFields {
        var fields: HTTPFields = [
            .authorization: "Bearer \(proxyKey)", .contentType: "application/json",
            HTTPField.Name("X-OpenWebUI-User-Email")!: email, HTTPField.Name("X-OpenWebUI-User-Name")!: "Ann",
            HTTPField.Name("X-OpenWebUI-User-Role")!: "user",
        ]
        if let chat { fields[HTTPField.Name("X-OpenWebUI-Chat-Id")!] = chat }
        return fields
    }

    static func thread(_ turns: [(String, String)], then text: String, stream: Bool = false) -> ByteBuffer {
        var messages: [String] = []
        for (user, assistant) in turns {
            messages.append(#"{"role":"user","content":"\#(user)"}"#)
            messages.append(#"{"role":"assistant","content":"\#(assistant)"}"#)
        }
        messages.append(#"{"role":"user","content":"\#(text)"}"#)
        return ByteBuffer(
            string: #"{"model":"tern","stream":\#(stream),"messages":[\#(messages.joined(separator: ","))]}"#)
    }

    static func post(_ client: any TestClientProtocol, _ body: ByteBuffer, chat: String?) async throws -> TestResponse {
        try await client.execute(uri: "/v1/chat/completions", method: .post, headers: headers(chat: chat), body: body)
    }

    static func activeMessages(_ harness: Harness) async throws -> [String] {
        let rows = try await harness.database.read { db in
            try await db.raw("SELECT role, content FROM messages WHERE superseded_at IS NULL ORDER BY created_at, id").all()
        }
        return try rows.map { "\(try $0.decode(column: "role", as: String.self)):\(try $0.decode(column: "content", as: String.self))" }
    }

    @Test func chatID_keysOneConversationPerChat_evenWithTheSameFirstWords() async throws {
        try await Harness.run(proxyKeys: [Self.proxyKey]) { harness, client throws in
            for chat in ["chat-a", "chat-b"] {
                let response = try await Self.post(client, Self.thread([], then: "hello"), chat: chat)
                #expect(response.status == .ok)
            }
            #expect(try await harness.count("conversations") == 2)
            _ = try await Self.post(client, Self.thread([("hello", "Echo: hello")], then: "again"), chat: "chat-a")
            #expect(try await harness.count("conversations") == 2)
            #expect(try await harness.count("messages") == 6)
        }
    }

    @Test func taskCall_isAnsweredPlainly_storesNoMessage_countsUsage() async throws {
        try await Harness.run(proxyKeys: [Self.proxyKey]) { harness, client throws in
            let fake = try #require(harness.fake)
            fake.enqueue(.content(#"{"title": "Greeting"}"#).usage(.exact(TokenUsage(promptTokens: 30, completionTokens: 5))))
            let task = "### Task:\\nGenerate a concise, 3-5 word title with an emoji summarizing the chat history."
            let response = try await Self.post(client, Self.thread([], then: task), chat: "chat-t")
            #expect(response.status == .ok)
            let choice = (try json(response.body)["choices"] as? [[String: Any]])?.first
            #expect((choice?["message"] as? [String: Any])?["content"] as? String == #"{"title": "Greeting"}"#)
            #expect(fake.chatRequests().first?.json?["tools"] == nil)
            #expect(try await harness.count("messages") == 0)
            let usage = try await harness.database.read { db in
                try await db.raw("SELECT purpose, total_tokens FROM usage_records").all()
            }
            #expect(try usage.map { try $0.decode(column: "purpose", as: String.self) } == ["task:title"])
            #expect(try usage.first?.decode(column: "total_tokens", as: Int.self) == 35)
            // The chat's own turn later lands in the same conversation the task was counted for.
            _ = try await Self.post(client, Self.thread([], then: "hello"), chat: "chat-t")
            #expect(try await harness.count("conversations") == 1)
        }
    }

    @Test func taskCall_withoutChatID_createsNoConversation() async throws {
        try await Harness.run(proxyKeys: [Self.proxyKey]) { harness, client throws in
            let response = try await Self.post(client, Self.thread([], then: "### Task: suggest tags"), chat: nil)
            #expect(response.status == .ok)
            #expect(try await harness.count("conversations") == 0)
            #expect(try await harness.count("messages") == 0)
        }
    }

    @Test func regenerate_supersedesTheOldAnswerInsteadOfDuplicatingTheTurn() async throws {
        try await Harness.run(proxyKeys: [Self.proxyKey]) { harness, client throws in
            _ = try await Self.post(client, Self.thread([], then: "one"), chat: "c")
            _ = try await Self.post(client, Self.thread([("one", "Echo: one")], then: "two"), chat: "c")
            // Regenerate the second answer: the same thread again.
            _ = try await Self.post(client, Self.thread([("one", "Echo: one")], then: "two"), chat: "c")
            #expect(try await Self.activeMessages(harness) == ["user:one", "assistant:Echo: one", "user:two", "assistant:Echo: two"])
            #expect(try await harness.count("messages") == 6)
        }
    }

    @Test func regenerateAfterTheSameTextTwice_stillSupersedes() async throws {
        try await Harness.run(proxyKeys: [Self.proxyKey]) { harness, client throws in
            _ = try await Self.post(client, Self.thread([], then: "go on"), chat: "c")
            _ = try await Self.post(client, Self.thread([("go on", "Echo: go on")], then: "go on"), chat: "c")
            _ = try await Self.post(client, Self.thread([("go on", "Echo: go on")], then: "go on"), chat: "c")
            #expect(try await Self.activeMessages(harness).count == 4)
        }
    }

    /// The first line of Open WebUI 0.12's default task templates, and what Tern records.
    @Test(arguments: [
        ("### Task:\nGenerate a concise title summarizing the chat history.", "task:title"),
        ("### Task:\nGenerate 1-3 broad tags categorizing the main themes of the chat history.", "task:tags"),
        ("### Task:\nPredict 3-5 useful messages this user might naturally send next.", "task:follow_ups"),
        ("### Task:\nAnalyze the chat history to determine the necessity of generating search queries.", "task:queries"),
        ("### Task:\nYou are an autocompletion system. Continue the text. Search Query type.", "task:autocomplete"),
        ("### Task:\nGenerate a detailed prompt for am image generation task.", "task:image_prompt"),
        ("### Task:\nSomething new.", "task:other"),
    ])
    func taskPurpose_followsTheTemplatesHeadline(prompt: String, purpose: String) {
        let messages = [ChatMessage(role: .user, content: prompt)]
        #expect(TaskCall.isTask(messages))
        #expect(TaskCall(context: ContextID("c"), conversation: nil, messages: messages, sampling: .init()).purpose == purpose)
    }

    @Test func editOfTheFirstMessage_supersedesTheWholeStoredThread() async throws {
        try await Harness.run(proxyKeys: [Self.proxyKey]) { harness, client throws in
            _ = try await Self.post(client, Self.thread([], then: "one"), chat: "c")
            _ = try await Self.post(client, Self.thread([("one", "Echo: one")], then: "two"), chat: "c")
            _ = try await Self.post(client, Self.thread([], then: "uno"), chat: "c")
            #expect(try await Self.activeMessages(harness) == ["user:uno", "assistant:Echo: uno"])
        }
    }

    @Test func clientSendingOnlyTheLastMessage_neverSupersedes() async throws {
        try await Harness.run { harness, client throws in
            var headers = HTTPFields.authorized
            headers[HTTPField.Name("X-Tern-Conversation-Id")!] = "one-message-client"
            for text in ["first", "second"] {
                _ = try await client.execute(
                    uri: "/v1/chat/completions", method: .post, headers: headers, body: chatBody(text))
            }
            #expect(try await Self.activeMessages(harness).count == 4)
        }
    }

    @Test func models_listTernAndSharedContextsOnly() async throws {
        try await Harness.run(proxyKeys: [Self.proxyKey]) { harness, client throws in
            let response = try await client.execute(uri: "/v1/models", method: .get, headers: Self.headers(chat: nil))
            let ids = (try json(response.body)["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            // Ann's personal context is hers alone: `tern` already means it for her.
            #expect(ids == ["tern"])
        }
    }
}
