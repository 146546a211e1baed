import Foundation
import Testing
import TernCore
import TernTesting

@testable import TernLLM

/// Usage is never missing: the server's when reported, else counted and marked estimated.
@Suite struct OpenAIClientUsageTests {
    private func paths(_ fake: FakeLLMServer) -> [String] { fake.recordedRequests().map(\.path) }

    @Test func llamaCppStream_withoutUsage_isCountedWithExtrasTokenize() async throws {
        try await withFakeLLM(quirks: .llamaCppPython) { fake in
            fake.enqueue(.content("two words"))  // counted usage exists, but the quirk never streams it
            let outcome = try await withClient(fake, configure: { $0.profile = .llamaCpp }) {
                await collect($0.stream(userRequest("three words here")))
            }
            let usage = try #require(outcome.finished.first?.usage)
            // The fake's tokenizer counts words: "user\nthree words here" and "two words".
            #expect(usage == TokenUsage(promptTokens: 4, completionTokens: 2, estimated: true))
            #expect(paths(fake) == ["/v1/chat/completions", "/extras/tokenize", "/extras/tokenize"])
            let inputs = fake.recordedRequests().dropFirst().compactMap { $0.json?["input"]?.stringValue }
            #expect(inputs == ["user\nthree words here", "two words"])
        }
    }

    @Test func llamaServer_withoutUsage_isCountedWithRootTokenize() async throws {
        try await withFakeLLM(quirks: .llamaServer) { fake in
            fake.enqueue(.content("a b c").withoutUsage())
            let completion = try await withClient(fake, configure: { $0.profile = .llamaServer }) {
                try await $0.complete(userRequest("x"))
            }
            #expect(completion.usage == TokenUsage(promptTokens: 2, completionTokens: 3, estimated: true))
            #expect(paths(fake) == ["/v1/chat/completions", "/tokenize", "/tokenize"])
            #expect(fake.recordedRequests().last?.json?["content"] == .string("a b c"))
        }
    }

    @Test func openAI_withoutUsage_isEstimatedFromCharacters() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.content("12345678").withoutUsage())
            let outcome = try await withClient(fake) { await collect($0.stream(userRequest("abc"))) }
            // "user\nabc" = 8 characters → 2 tokens; "12345678" → 2 tokens.
            #expect(outcome.finished.first?.usage == TokenUsage(promptTokens: 2, completionTokens: 2, estimated: true))
            #expect(paths(fake) == ["/v1/chat/completions"])
        }
    }

    @Test func tokenizeFailure_fallsBackToTheEstimate_withoutFailingTheCall() async throws {
        try await withFakeLLM { fake in  // no /tokenize route: 404
            fake.enqueue(.content("ok").withoutUsage())
            let completion = try await withClient(fake, configure: { $0.profile = .llamaServer }) {
                try await $0.complete(userRequest("x"))
            }
            #expect(completion.content == "ok")
            #expect(completion.usage == TokenUsage(promptTokens: 2, completionTokens: 1, estimated: true))
        }
    }

    @Test func reportedUsage_isKept_andNoTokenizeCallIsMade() async throws {
        try await withFakeLLM(quirks: .llamaCppPython) { fake in
            fake.enqueue(.content("a b").usage(.exact(TokenUsage(promptTokens: 11, completionTokens: 7))))
            let completion = try await withClient(fake, configure: { $0.profile = .llamaCpp }) {
                try await $0.complete(userRequest("x"))
            }
            #expect(completion.usage == TokenUsage(promptTokens: 11, completionTokens: 7, estimated: false))
            #expect(paths(fake) == ["/v1/chat/completions"])
        }
    }

    @Test func noTokenizeCall_whileAnotherCallIsInFlight() async throws {
        try await withFakeLLM(quirks: .llamaCppPython) { fake in
            fake.enqueue(.content("a b").withoutUsage())
            let tracker = ModelCallTracker()
            tracker.begin()  // another turn's stream is running: tokenizing would cut it
            try await withClient(fake, configure: { $0.profile = .llamaCpp }, tracker: tracker) { client in
                let completion = try await client.complete(userRequest("x"))
                #expect(completion.usage?.estimated == true)
            }
            tracker.end()
            #expect(paths(fake) == ["/v1/chat/completions"])
        }
    }

    @Test func estimate_isAtLeastOnePerNonEmptyText() {
        #expect(TokenUsage.estimateTokens("") == 0)
        #expect(TokenUsage.estimateTokens("a") == 1)
        #expect(TokenUsage.estimateTokens("abcde") == 2)
    }
}
