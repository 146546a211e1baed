import Foundation
import TernCore
import TernTesting
import Testing

@testable import TernLLM

@Suite(.timeLimit(.minutes(1))) struct OpenAIClientFailureTests {
    @Test func complete_500ThenSuccess_isRetried() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.httpError(status: 500), .content("ok"))
            let sleeps = SleepRecorder()
            let completion = try await withClient(fake, sleeps: sleeps) { try await $0.complete(userRequest("x")) }
            #expect(completion.content == "ok")
            #expect(fake.recordedRequests().count == 2)
            #expect(sleeps.delays.count == 1)
        }
    }

    @Test func complete_429WithRetryAfter_waitsThatLong() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.httpError(status: 429, message: "slow down", retryAfter: 7), .content("ok"))
            let sleeps = SleepRecorder()
            let completion = try await withClient(fake, sleeps: sleeps) { try await $0.complete(userRequest("x")) }
            #expect(completion.content == "ok")
            #expect(sleeps.delays == [.seconds(7)])
        }
    }

    @Test func complete_retryAfter_isCapped() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.httpError(status: 429, retryAfter: 3600), .content("ok"))
            let sleeps = SleepRecorder()
            _ = try await withClient(fake, sleeps: sleeps, configure: { $0.maxRetryDelay = .seconds(30) }) {
                try await $0.complete(userRequest("x"))
            }
            #expect(sleeps.delays == [.seconds(30)])
        }
    }

    @Test func complete_persistent500_throwsUpstreamNamingEndpointAndStatus() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(
                .httpError(status: 500, message: "model crashed"), .httpError(status: 502),
                .httpError(status: 503, message: "Service Unavailable"))
            let sleeps = SleepRecorder()
            let error = await #expect(throws: ModelError.self) {
                try await withClient(fake, sleeps: sleeps) { try await $0.complete(userRequest("x")) }
            }
            #expect(error == .upstream(endpoint: chatEndpoint(fake), status: 503, message: "Service Unavailable"))
            #expect(error?.description == "model server answered 503 on \(chatEndpoint(fake)): Service Unavailable")
            #expect(fake.recordedRequests().count == 3)
            #expect(sleeps.delays.count == 2)
            #expect(sleeps.delays.allSatisfy { $0 <= .milliseconds(2) })
        }
    }

    @Test func complete_400_isNotRetried() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.httpError(status: 400, message: "bad request: unknown model"), .content("unused"))
            await #expect(throws: ModelError.upstream(endpoint: chatEndpoint(fake), status: 400, message: "Bad Request")) {
                try await withClient(fake) { try await $0.complete(userRequest("x")) }
            }
            #expect(fake.recordedRequests().count == 1)
            #expect(fake.pendingReplies == 1)
        }
    }

    @Test func stream_503BeforeFirstToken_isRetried() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.httpError(status: 503), .content("fine"))
            let outcome = try await withClient(fake) { await collect($0.stream(userRequest("x"))) }
            #expect(outcome.error == nil)
            #expect(outcome.contents == ["fine"])
            #expect(fake.recordedRequests().count == 2)
        }
    }

    @Test func stream_disconnectAfterFirstToken_endsWithConnectionErrorAndIsNotRetried() async throws {
        try await withFakeLLM { fake in
            let sawFirstToken = FakeLLMGate()
            fake.enqueue(
                .content("first", " second", " third").disconnecting(afterChunks: 1, after: sawFirstToken),
                .content("unused"))
            let outcome = try await withClient(fake) { client in
                var outcome = StreamOutcome()
                do {
                    for try await event in client.stream(userRequest("x")) {
                        outcome.events.append(event)
                        sawFirstToken.open()
                    }
                } catch {
                    outcome.error = error
                }
                return outcome
            }
            #expect(outcome.contents == ["first"])
            #expect(outcome.finished.isEmpty)
            let error = try #require(outcome.error as? ModelError)
            guard case .connection(let endpoint, _) = error else {
                Issue.record("expected a connection error, got \(error)")
                return
            }
            #expect(endpoint == chatEndpoint(fake))
            #expect(fake.recordedRequests().count == 1)
            #expect(fake.pendingReplies == 1)
        }
    }

    @Test func stream_disconnectBeforeAnyToken_isRetried() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.content("lost").disconnecting(afterChunks: 0), .content("second try"))
            let outcome = try await withClient(fake) { await collect($0.stream(userRequest("x"))) }
            #expect(outcome.error == nil)
            #expect(outcome.contents == ["second try"])
            #expect(fake.recordedRequests().count == 2)
        }
    }

    @Test func stream_errorFrameAfterContent_becomesUpstreamError() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.content("a", "b").failing(afterChunks: 1, message: "context length exceeded", code: 400))
            let outcome = try await withClient(fake) { await collect($0.stream(userRequest("x"))) }
            #expect(outcome.contents == ["a"])
            #expect(outcome.finished.isEmpty)
            #expect(
                outcome.error as? ModelError
                    == .upstream(endpoint: chatEndpoint(fake), status: 400, message: "error in stream"))
            #expect(fake.recordedRequests().count == 1)
        }
    }

    @Test func stream_errorFrameBeforeContentWithoutCode_isRetriedAsServerError() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.content("a").failing(afterChunks: 0, message: "overloaded"), .content("ok"))
            let outcome = try await withClient(fake) { await collect($0.stream(userRequest("x"))) }
            #expect(outcome.error == nil)
            #expect(outcome.contents == ["ok"])
            #expect(fake.recordedRequests().count == 2)
        }
    }

    @Test func complete_noAnswer_timesOut() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.hang, .content("unused"))
            // The time to the head is the read timeout, connecting included: the error names that
            // value. The connect limit is the same, so a connect slowed by a loaded machine (which
            // fails on the connect limit instead) names the same 2 s.
            await #expect(throws: ModelError.timeout(endpoint: chatEndpoint(fake), seconds: 2)) {
                try await withClient(
                    fake,
                    configure: {
                        $0.connectTimeout = .seconds(2)
                        $0.readTimeout = .seconds(2)
                    }
                ) { try await $0.complete(userRequest("x")) }
            }
            // Not retried. (On a loaded machine the one request may not even reach the fake
            // within the 2 s, connecting included: the suite saw 0 once.)
            #expect(fake.recordedRequests().count <= 1)
        }
    }

    @Test func stream_silenceAfterFirstToken_timesOutAfterReadTimeout() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.content("a", "b").stalling(afterChunks: 1))
            // Generous for a loaded machine: the head (connecting included) has the same limit.
            let outcome = try await withClient(
                fake,
                configure: {
                    $0.connectTimeout = .seconds(120)
                    $0.readTimeout = .seconds(5)
                }
            ) { await collect($0.stream(userRequest("x"))) }
            #expect(outcome.contents == ["a"])
            #expect(outcome.error as? ModelError == .timeout(endpoint: chatEndpoint(fake), seconds: 5))
            await fake.waitForClientDisconnects(count: 1)
        }
    }

    @Test func complete_requestTimeout_limitsTheWholeCall() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.content("a").delayed(by: .seconds(30)))
            await #expect(throws: ModelError.timeout(endpoint: chatEndpoint(fake), seconds: 0.2)) {
                try await withClient(fake, configure: { $0.requestTimeout = .milliseconds(200) }) {
                    try await $0.complete(userRequest("x"))
                }
            }
        }
    }

    @Test func models_connectionRefused_throwsConnectionError() async throws {
        let fake = try await FakeLLMServer.start()
        let baseURL = fake.baseURL
        await fake.stop()
        // A refusal is immediate; the connect limit is generous only so that a loaded CI machine
        // (it failed once with 300 ms while MCP servers were starting) cannot turn it into a timeout.
        let configuration = OpenAIClientConfiguration(
            baseURL: baseURL, apiKey: testAPIKey, connectTimeout: .seconds(20), maxRetries: 1,
            retryBaseDelay: .milliseconds(1))
        let sleeps = SleepRecorder()
        let error = await #expect(throws: ModelError.self) {
            try await withClient(configuration: configuration, sleeps: sleeps) { try await $0.models() }
        }
        guard case .connection(let endpoint, _) = error else {
            Issue.record("expected a connection error, got \(String(describing: error))")
            return
        }
        #expect(endpoint == "GET \(fake.host):\(fake.port)/v1/models")
        #expect(sleeps.delays.count == 1)
        #expect(error?.description.contains(testAPIKey) == false)
    }

    @Test func stream_cancellingTheConsumer_closesTheUpstreamRequest() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.content("a", "b").stalling(afterChunks: 1))
            try await withClient(fake) { client in
                let (firstContent, gotFirstContent) = AsyncStream.makeStream(of: Void.self)
                let consumer = Task {
                    for try await event in client.stream(userRequest("x")) {
                        if case .content = event { gotFirstContent.yield() }
                    }
                }
                for await _ in firstContent { break }
                consumer.cancel()
                await fake.waitForClientDisconnects(count: 1)
                #expect(fake.clientDisconnects == 1)
                _ = await consumer.result
            }
        }
    }

    @Test func errors_neverContainTheAPIKey() async throws {
        try await withFakeLLM { fake in
            fake.enqueue(.httpError(status: 401, message: "Unauthorized"))
            let error = await #expect(throws: ModelError.self) {
                try await withClient(fake) { try await $0.complete(userRequest("x")) }
            }
            #expect(fake.recordedRequests().first?.header("authorization") == "Bearer \(testAPIKey)")
            let text = String(describing: error) + String(reflecting: error)
            #expect(!text.contains(testAPIKey))
            #expect(error == .upstream(endpoint: chatEndpoint(fake), status: 401, message: "Unauthorized"))
        }
    }
}
