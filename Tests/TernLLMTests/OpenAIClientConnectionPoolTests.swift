import AsyncHTTPClient
import Foundation
import TernCore
import TernTesting
import Testing

@testable import TernLLM

/// Many turns talk to the model at once: each running call holds a connection for its whole
/// answer, so the pool must allow more than AsyncHTTPClient's default of 8 per host (a ninth
/// call waited for a free connection and failed after the connect timeout, seen with 10,000
/// slow streams in scripts/bench --streams).
@Suite(.timeLimit(.minutes(1))) struct OpenAIClientConnectionPoolTests {
    @Test func moreCallsThanAsyncHTTPClientsDefault_allReachTheServerAtOnce() async throws {
        let calls = 12
        try await withFakeLLM { fake in
            let gate = FakeLLMGate()
            fake.enqueue((0..<calls).map { _ in FakeLLMReply.content("ok").delayed(until: gate) })
            try await withClient(fake) { client in
                try await withThrowingTaskGroup(of: String.self) { group in
                    for n in 0..<calls {
                        group.addTask { try await client.complete(userRequest("call \(n)")).content }
                    }
                    // Every call is at the server while none has been answered: none waits for
                    // a connection another holds. (With 8 connections this never returns, and the
                    // suite's time limit fails the test.)
                    await fake.waitForRequests(count: calls)
                    gate.open()
                    var answers: [String] = []
                    for try await answer in group { answers.append(answer) }
                    #expect(answers == Array(repeating: "ok", count: calls))
                }
            }
        }
    }

    @Test func theDefaultAndTheSettingReachTheHTTPClient() {
        let standard = OpenAIClientConfiguration(baseURL: "http://127.0.0.1:1/v1")
        #expect(standard.maxConnections == 256)
        #expect(standard.httpClientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit == 256)
        let small = OpenAIClientConfiguration(baseURL: "http://127.0.0.1:1/v1", maxConnections: 3)
        #expect(small.httpClientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit == 3)
    }
}
