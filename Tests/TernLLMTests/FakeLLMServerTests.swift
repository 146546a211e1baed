import Foundation
import TernCore
import TernTesting
import Testing

@testable import TernLLM

/// The fake itself (TernTesting has no test target of its own), driven through the real client.
@Suite(.timeLimit(.minutes(1))) struct FakeLLMServerTests {
    @Test func stop_withHangingRequest_endsTheRequest() async throws {
        let fake = try await FakeLLMServer.start()
        fake.enqueue(.hang)
        try await withClient(fake, configure: { $0.maxRetries = 0 }) { client in
            let call = Task { try await client.complete(userRequest("x")) }
            await fake.waitForRequests(count: 1)
            await fake.stop()
            await #expect(throws: ModelError.self) { try await call.value }
        }
    }

    @Test func delayedUntilGate_answersOnceOpened() async throws {
        try await withFakeLLM { fake in
            let gate = FakeLLMGate()
            fake.enqueue(.content("late").delayed(until: gate))
            try await withClient(fake) { client in
                let call = Task { try await client.complete(userRequest("x")) }
                await fake.waitForRequests(count: 1)
                gate.open()
                let completion = try await call.value
                #expect(completion.content == "late")
            }
        }
    }

    @Test func echo_usesTheLastUserMessage_andCountsWords() async throws {
        try await withFakeLLM { fake in
            let request = ChatRequest(
                model: "m",
                messages: [
                    ChatMessage(role: .system, content: "you are terse"),
                    ChatMessage(role: .user, content: "first question"),
                    ChatMessage(role: .assistant, content: "answer"),
                    ChatMessage(role: .user, content: "second one please"),
                ])
            let outcome = try await withClient(fake) { await collect($0.stream(request)) }
            #expect(outcome.contents == ["Echo:", " second", " one", " please"])
            #expect(outcome.finished.first?.usage == TokenUsage(promptTokens: 9, completionTokens: 4))
        }
    }

    @Test func pacedEcho_hasTheAskedNumberOfTokens_repeatingOrCuttingTheWords() async throws {
        for (tokens, expected) in [
            (5, ["Echo:", " a", " b", " Echo:", " a"]), (2, ["Echo:", " a"]),
        ] {
            let outcome = try await withFakeLLM(pace: FakeLLMPace(interval: .milliseconds(1), tokens: tokens)) { fake in
                try await withClient(fake) { await collect($0.stream(userRequest("a b"))) }
            }
            #expect(outcome.contents == expected)
            #expect(outcome.finished.count == 1)
        }
    }

    @Test func pacedServer_answersAMarkedCallAtOnce_withThePlainEcho() async throws {
        let outcome = try await withFakeLLM(pace: FakeLLMPace(interval: .seconds(3600), tokens: 5)) { fake in
            try await withClient(fake) { await collect($0.stream(userRequest("[[unpaced]] a"))) }
        }
        #expect(outcome.contents == ["Echo:", " [[unpaced]]", " a"])
    }

    @Test func recordsEveryRequest_inOrder() async throws {
        try await withFakeLLM { fake in
            try await withClient(fake) { client in
                _ = try await client.models()
                _ = try await client.complete(userRequest("a"))
                _ = try await client.embed(["b"], model: nil)
            }
            #expect(fake.recordedRequests().map(\.path) == ["/v1/models", "/v1/chat/completions", "/v1/embeddings"])
        }
    }
}
