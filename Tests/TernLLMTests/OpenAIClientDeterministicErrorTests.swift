import Foundation
import NIOHTTP1
import Testing
import TernCore
import TernTesting

@testable import TernLLM

/// Deterministic errors are not retried, refused connections fail fast, and what the client
/// sees names the server and status only.
@Suite struct OpenAIClientDeterministicErrorTests {
    @Test func validation500OnNullContent_isNotRetried_andTheMessageCarriesNoBodyOrPath() async throws {
        try await withFakeLLM(quirks: .llamaCppPython) { fake in
            let sleeps = SleepRecorder()
            // What older Tern sent: an assistant tool-call message with content null, raw.
            let body = Data(
                #"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":[]}]}"#
                    .utf8)
            let error = await #expect(throws: ModelError.self) {
                try await withClient(fake, sleeps: sleeps) { client in
                    _ = try await client.send(client.call(.POST, "/chat/completions"), body: body)
                }
            }
            #expect(fake.recordedRequests().count == 1)
            #expect(sleeps.delays.isEmpty)
            #expect(error == .upstream(endpoint: chatEndpoint(fake), status: 500, message: "Internal Server Error"))
            let text = error?.description ?? ""
            #expect(!text.contains("validation") && !text.contains("/home/") && !text.contains(".py"))
            #expect(text.contains("\(fake.host):\(fake.port)") && text.contains("500"))
        }
    }

    @Test func assistantToolCallMessages_goOutWithEmptyContent_soLlamaCppAccepts() async throws {
        try await withFakeLLM(quirks: .llamaCppPython) { fake in
            var request = userRequest("time?")
            request.messages.append(
                ChatMessage(role: .assistant, content: nil, toolCalls: [ToolCall(id: "c1", name: "clock", arguments: "{}")]))
            request.messages.append(ChatMessage(role: .tool, content: "12:00", toolCallID: "c1"))
            let completion = try await withClient(fake, configure: { $0.profile = .llamaCpp }) {
                try await $0.complete(request)
            }
            #expect(completion.finishReason == "stop")
            #expect(fake.recordedRequests().first?.messages[1]["content"] == .string(""))
        }
    }

    @Test(arguments: [400, 401, 404, 413, 422])
    func clientErrors_areNotRetried(status: Int) async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.httpError(status: status, message: "see /srv/secret/path.py"), .content("unused"))
            let error = await #expect(throws: ModelError.self) {
                try await withClient(fake) { try await $0.complete(userRequest("x")) }
            }
            #expect(fake.recordedRequests().count == 1)
            #expect(error?.description.contains("/srv/") == false)
        }
    }

    @Test(arguments: [408, 409, 429, 500, 503])
    func transientErrors_areRetried(status: Int) async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.httpError(status: status), .content("ok"))
            let completion = try await withClient(fake) { try await $0.complete(userRequest("x")) }
            #expect(completion.content == "ok")
            #expect(fake.recordedRequests().count == 2)
        }
    }

    @Test func errorCodeName_isKept_asAShortIdentifier() {
        #expect(OpenAIClient.publicMessage(status: 400, codeName: "context_length_exceeded") == "Bad Request (context_length_exceeded)")
        #expect(OpenAIClient.publicMessage(status: 400, codeName: "see /etc/passwd") == "Bad Request")
        #expect(OpenAIClient.publicMessage(status: 500, codeName: nil) == "Internal Server Error")
    }

    @Test func refusedConnection_isRetriedAtMostTwiceAndBriefly_evenWithManyRetries() async throws {
        let fake = try await FakeLLMServer.start()
        await fake.stop()
        let sleeps = SleepRecorder()
        let tracker = ModelCallTracker()
        let configuration = OpenAIClientConfiguration(
            baseURL: fake.baseURL, apiKey: testAPIKey, connectTimeout: .seconds(20), maxRetries: 5,
            retryBaseDelay: .seconds(1))
        let error = await #expect(throws: ModelError.self) {
            try await withClient(configuration: configuration, sleeps: sleeps, tracker: tracker) {
                _ = try await $0.complete(userRequest("x"))
            }
        }
        #expect(error == .connection(endpoint: chatEndpoint(fake), reason: "connection refused"))
        #expect(sleeps.delays.count == 2)
        #expect(sleeps.delays.allSatisfy { $0 <= .milliseconds(250) })
        #expect(tracker.evidence == .unreachable(reason: "connection refused"))
        #expect(tracker.inFlight == 0)
    }

    @Test func validationDetector_recognisesPydanticAndFastAPIBodies() {
        #expect(OpenAIClient.looksLikeValidationError(#"{"detail":[{"loc":["body","messages"],"msg":"x","type":"y"}]}"#))
        #expect(OpenAIClient.looksLikeValidationError("1 validation error for Foo\n[type=string_type"))
        #expect(!OpenAIClient.looksLikeValidationError(#"{"error":{"message":"CUDA out of memory"}}"#))
    }
}
