import AsyncHTTPClient
import Foundation
import Logging
import Testing
import TernCore
import TernHTTP
import TernLLM
import TernTesting

/// The model reachability check stays out of the way of real calls and follows them at once.
@Suite struct ModelReachabilityTests {
    private static var logger: Logger {
        var logger = Logger(label: "tern.test.reachability")
        logger.logLevel = .critical
        return logger
    }

    /// Runs `body` with a client for `fake` (profile openai, refused connections not retried).
    private func withClient<T>(_ fake: FakeLLMServer, _ body: (OpenAIClient) async throws -> T) async throws -> T {
        let configuration = OpenAIClientConfiguration(
            baseURL: fake.baseURL, connectTimeout: .seconds(20), readTimeout: .seconds(30), maxRetries: 0)
        let httpClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration.httpClientConfiguration)
        let client = OpenAIClient(configuration: configuration, httpClient: httpClient, logger: Self.logger)
        do {
            let result = try await body(client)
            try await httpClient.shutdown()
            return result
        } catch {
            try await httpClient.shutdown()
            throw error
        }
    }

    @Test func check_isSkipped_whileAModelCallIsInFlight() async throws {
        try await withFakeLLM(quirks: .llamaCppPython) { fake in
            try await withClient(fake) { client in
                let reachability = ModelReachability(model: client, logger: Self.logger)
                client.callTracker.begin()  // a turn's stream is running
                #expect(await reachability.check() == false)
                #expect(fake.recordedRequests().isEmpty, "a request now would cut llama-cpp-python's stream")
                client.callTracker.end()
                #expect(await reachability.check() == true)
                #expect(fake.recordedRequests().map(\.path) == ["/v1/models"])
                #expect(reachability.current.isReachable)
            }
        }
    }

    @Test func realCalls_areEvidence_aFailedCallMarksUnreachableAtOnce() async throws {
        let fake = try await FakeLLMServer.start()
        try await withClient(fake) { client in
            let reachability = ModelReachability(model: client, logger: Self.logger)
            #expect(reachability.current == .unknown)
            _ = try await client.complete(ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: "hi")]))
            #expect(reachability.current.isReachable)
            await fake.stop()
            await #expect(throws: ModelError.self) {
                try await client.complete(ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: "hi")]))
            }
            // Refused, or the pooled keep-alive connection found closed: either way, at once.
            guard case .unreachable = reachability.current else {
                Issue.record("expected unreachable after a failed call, got \(reachability.current)")
                return
            }
        }
    }

    @Test func frozenServer_isUnreachable_afterTheChecksOwnShortTimeout_andReachableAfterThaw() async throws {
        try await withFakeLLM { fake in
            try await withClient(fake) { client in
                let reachability = ModelReachability(
                    model: client, checkTimeout: .milliseconds(300), logger: Self.logger)
                fake.freeze()
                await reachability.check()
                #expect(reachability.current == .unreachable(reason: "no answer within 0.3 seconds"))
                fake.thaw()
                // A generous limit now (the state lives in the client's tracker): a loaded
                // machine must not turn the recovery into another timeout.
                let patient = ModelReachability(model: client, checkTimeout: .seconds(30), logger: Self.logger)
                await patient.check()
                #expect(reachability.current.isReachable)
            }
        }
    }

    @Test func providerWithoutTracker_usesTheChecksOwnEvidence() async throws {
        let model = ScriptedModelProvider()
        let reachability = ModelReachability(model: model, logger: Self.logger)
        #expect(await reachability.check() == true)
        #expect(reachability.current.isReachable)
        #expect(ModelReachability(model: nil, logger: Self.logger).current == .notConfigured)
    }
}

extension ModelReachabilityState {
    /// Whether this is `.reachable`.
    fileprivate var isReachable: Bool {
        if case .reachable = self { true } else { false }
    }
}
