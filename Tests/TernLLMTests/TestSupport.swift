import AsyncHTTPClient
import Logging
import Synchronization
import TernCore
import TernTesting

@testable import TernLLM

/// Records backoff delays instead of sleeping them.
final class SleepRecorder: Sendable {
    private let recorded = Mutex<[Duration]>([])

    var delays: [Duration] { recorded.withLock { $0 } }

    var sleep: OpenAIClient.Sleep {
        { delay in self.recorded.withLock { $0.append(delay) } }
    }
}

let testAPIKey = "sk-tern-test-0123456789abcdef"

/// Runs `body` with a client pointed at `fake` on its own `HTTPClient`, shut down afterwards.
func withClient<T>(
    _ fake: FakeLLMServer, sleeps: SleepRecorder = SleepRecorder(),
    configure: (inout OpenAIClientConfiguration) -> Void = { _ in }, tracker: ModelCallTracker = ModelCallTracker(),
    _ body: (OpenAIClient) async throws -> T
) async throws -> T {
    var configuration = OpenAIClientConfiguration(
        baseURL: fake.baseURL, apiKey: testAPIKey, connectTimeout: .seconds(5), readTimeout: .seconds(30),
        maxRetries: 2, retryBaseDelay: .milliseconds(1))
    configure(&configuration)
    return try await withClient(configuration: configuration, sleeps: sleeps, tracker: tracker, body)
}

/// Runs `body` with a client for `configuration` on its own `HTTPClient`, shut down afterwards.
func withClient<T>(
    configuration: OpenAIClientConfiguration, sleeps: SleepRecorder = SleepRecorder(),
    tracker: ModelCallTracker = ModelCallTracker(), _ body: (OpenAIClient) async throws -> T
) async throws -> T {
    let httpClient = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration.httpClientConfiguration)
    var logger = Logger(label: "tern.llm")
    logger.logLevel = .error  // retries log warnings; keep test output readable
    let client = OpenAIClient(
        configuration: configuration, httpClient: httpClient, logger: logger, sleep: sleeps.sleep, callTracker: tracker)
    do {
        let result = try await body(client)
        try await httpClient.shutdown()
        return result
    } catch {
        try await httpClient.shutdown()
        throw error
    }
}

/// Everything a stream yielded, and the error it ended with.
struct StreamOutcome {
    var events: [ChatStreamEvent] = []
    var error: (any Error)?

    var contents: [String] {
        events.compactMap { if case .content(let text) = $0 { text } else { nil } }
    }

    var finished: [ChatCompletion] {
        events.compactMap { if case .finished(let completion) = $0 { completion } else { nil } }
    }
}

func collect(_ stream: AsyncThrowingStream<ChatStreamEvent, any Error>) async -> StreamOutcome {
    var outcome = StreamOutcome()
    do {
        for try await event in stream { outcome.events.append(event) }
    } catch {
        outcome.error = error
    }
    return outcome
}

func userRequest(_ text: String, tools: [ToolDefinition] = []) -> ChatRequest {
    ChatRequest(model: "test-model", messages: [ChatMessage(role: .user, content: text)], tools: tools)
}

/// The chat endpoint as errors name it: method, `host:port` and path.
func chatEndpoint(_ fake: FakeLLMServer) -> String {
    "POST \(fake.host):\(fake.port)/v1/chat/completions"
}
