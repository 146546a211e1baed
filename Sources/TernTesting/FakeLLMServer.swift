import Foundation
import Hummingbird
package import Logging
import TernCore

/// A scripted, OpenAI-compatible model server on a real loopback port, for tests of every layer.
///
/// Chat calls (`POST /v1/chat/completions`, plain or `stream: true`) take the next
/// ``FakeLLMReply`` from the queue; with an empty queue they echo (`"Echo: <last user message>"`).
/// `GET /v1/models` lists `fake-model`; `POST /v1/embeddings` returns deterministic vectors
/// (``embedding(for:)``). Every request is recorded.
///
/// ```swift
/// try await withFakeLLM { fake in
///     fake.enqueue(.content("Hel", "lo"))
///     // point the client at fake.baseURL …
///     #expect(fake.recordedRequests().count == 1)
/// }
/// ```
package final class FakeLLMServer: Sendable {
    /// The model the server lists and answers as when a request names none.
    package static let modelID = "fake-model"
    /// The length of the vectors `POST /v1/embeddings` returns.
    package static let embeddingDimensions = 32

    /// The port the OS chose (or the one asked for).
    package var port: Int { server.port }
    /// The host the server listens on.
    package var host: String { server.host }
    let state: FakeLLMState
    private let server: FakeHTTPServer

    /// The API root clients use, e.g. `http://127.0.0.1:54321/v1`.
    package var baseURL: String { "http://\(host):\(port)/v1" }

    private init(state: FakeLLMState, server: FakeHTTPServer) {
        self.state = state
        self.server = server
    }

    /// A quiet logger (warnings and up), so test output stays readable.
    package static func defaultLogger() -> Logger {
        var logger = Logger(label: "tern.testing.fake-llm")
        logger.logLevel = .warning
        return logger
    }

    /// Starts a server and returns once it accepts connections. Port 0 lets the OS choose one;
    /// `quirks` picks a real server's behaviour to reproduce; `pace` slows streamed answers
    /// down (see ``FakeLLMPace``).
    package static func start(
        host: String = "127.0.0.1", port: Int = 0, quirks: FakeLLMQuirks = .none, pace: FakeLLMPace? = nil,
        logger: Logger = FakeLLMServer.defaultLogger()
    ) async throws -> FakeLLMServer {
        let state = FakeLLMState(quirks: quirks, pace: pace)
        let router = Router(context: FakeLLMContext.self)
        FakeLLMRoutes(state: state, logger: logger).register(on: router)

        let server = try await FakeHTTPServer.start(
            router: router, host: host, port: port, serverName: quirks.serverHeader, logger: logger,
            channelHandlers: { [FakeLLMDisconnectWatcher(state: state)] }, onStop: { state.stop() })
        return FakeLLMServer(state: state, server: server)
    }

    /// Adds replies for the next chat calls, consumed in FIFO order.
    package func enqueue(_ replies: FakeLLMReply...) {
        state.enqueue(replies)
    }

    /// Adds replies for the next chat calls, consumed in FIFO order.
    package func enqueue(_ replies: [FakeLLMReply]) {
        state.enqueue(replies)
    }

    /// Makes every request wait unanswered (a frozen server) until ``thaw()``; a request whose
    /// client gives up is dropped.
    package func freeze() { state.freeze() }

    /// Lets the requests held by ``freeze()`` go on.
    package func thaw() { state.thaw() }

    /// Scripted replies not used yet.
    package var pendingReplies: Int { state.pendingReplies }

    /// Every request received so far, in arrival order.
    package func recordedRequests() -> [FakeLLMRecordedRequest] {
        state.records
    }

    /// The chat completion requests received so far, in arrival order: what turns asked the model,
    /// without the reachability checks (`GET /v1/models`) a running `tern serve` makes on its own.
    package func chatRequests() -> [FakeLLMRecordedRequest] {
        state.records.filter { $0.path == FakeLLMRecordedRequest.chatPath }
    }

    /// Returns once `count` chat completion requests have arrived (or the server stopped).
    package func waitForChatRequests(count: Int) async {
        await state.chatRequestCount.wait(atLeast: count)
    }

    /// Returns once `count` requests have arrived (or the server stopped).
    package func waitForRequests(count: Int) async {
        await state.requestCount.wait(atLeast: count)
    }

    /// Returns once `count` requests were abandoned by their client before the answer was
    /// complete: the connection closed while the server was delaying, stalling, hanging or writing.
    package func waitForClientDisconnects(count: Int) async {
        await state.disconnectCount.wait(atLeast: count)
    }

    /// How many requests their client abandoned so far.
    package var clientDisconnects: Int { state.disconnectCount.value }

    /// How many running streams a later request cut so far (with
    /// ``FakeLLMQuirks/interruptsStreamsOnNewRequest``, as llama-cpp-python does).
    package var interruptedStreams: Int { state.interruptCount.value }

    /// How many `GET /docs` requests arrived (FastAPI's page, which cuts no stream).
    package var docsRequests: Int { state.docsCount.value }

    /// The vector `POST /v1/embeddings` returns for `text`: word hashes folded into
    /// ``embeddingDimensions`` dimensions and normalised, so texts sharing words are similar.
    package static func embedding(for text: String) -> [Float] {
        FakeLLMEmbedding.vector(for: text, dimensions: embeddingDimensions)
    }

    /// Stops the server: waiting handlers give up at once, then a graceful shutdown, then (if
    /// that takes more than a few seconds) cancellation. Safe to call more than once.
    package func stop() async {
        await server.stop()
    }
}

/// Runs `body` with a started ``FakeLLMServer`` and always stops it afterwards.
package func withFakeLLM<T>(
    quirks: FakeLLMQuirks = .none, pace: FakeLLMPace? = nil, logger: Logger = FakeLLMServer.defaultLogger(),
    _ body: (FakeLLMServer) async throws -> T
) async throws -> T {
    let server = try await FakeLLMServer.start(quirks: quirks, pace: pace, logger: logger)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
