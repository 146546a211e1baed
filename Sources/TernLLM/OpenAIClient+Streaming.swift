import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
package import TernCore

/// Whether a stream has handed anything to its consumer; from then on it is never retried.
private final class StreamProgress: Sendable {
    private let yielded = Mutex((any: false, content: ""))

    /// Whether any event reached the consumer.
    var hasYielded: Bool { yielded.withLock { $0.any } }

    /// The content handed out so far.
    var content: String { yielded.withLock { $0.content } }

    /// Hands `event` to the consumer and remembers that it did.
    func yield(
        _ event: ChatStreamEvent, to continuation: AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation
    ) {
        yielded.withLock { state in
            state.any = true
            if case .content(let piece) = event { state.content += piece }
        }
        continuation.yield(event)
    }
}

extension OpenAIClient {
    /// A streamed chat completion: `.content` for each non-empty delta, then one `.finished`.
    ///
    /// Retried like ``complete(_:)`` only until the first event was yielded; a later failure ends
    /// the stream with a ``ModelError`` and the consumer keeps what it got. Cancelling the
    /// consuming task (or dropping the stream) cancels the HTTP request.
    ///
    /// **A cut stream is an error.** A stream that ends — with `data: [DONE]` or by the connection
    /// closing — without a `finish_reason` in any chunk (llama-cpp-python ends the running stream
    /// that way when another request arrives) throws
    /// ``ModelError/incomplete(endpoint:reason:usage:)`` after the content that arrived was
    /// yielded, never `.finished`: its tool calls, whose arguments may be truncated, are never
    /// returned. When nothing was yielded yet the request is retried instead.
    package func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ChatStreamEvent.self)
        let task = Task {
            do {
                try await runStream(request, continuation: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func runStream(
        _ request: ChatRequest, continuation: AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation
    ) async throws {
        let call = call(.POST, "/chat/completions")
        let profile = await profile()
        let body = Data(WireChatRequest(request, stream: true, profile: profile).jsonBytes)
        let limits = limits(streaming: true)
        let progress = StreamProgress()
        logger.debug("chat stream", metadata: ["endpoint": "\(call.endpoint)", "model": "\(request.model)"])
        var completion: ChatCompletion
        do {
            completion = try await callTracker.withCall {
                try await withRetries(endpoint: call.endpoint) { _ in
                    do {
                        return try await withWatchdog(limits, endpoint: call.endpoint) { watchdog in
                            try await streamAttempt(
                                call, body: body, limits: limits, watchdog: watchdog, continuation: continuation,
                                progress: progress)
                        }
                    } catch {
                        guard progress.hasYielded else { throw error }
                        throw AttemptFailure.final(classify(error, endpoint: call.endpoint).error)
                    }
                }
            }
        } catch ModelError.incomplete(let endpoint, let reason, _) {
            throw await incomplete(request, endpoint: endpoint, reason: reason, content: progress.content)
        }
        completion.usage = await usage(of: completion, for: request, profile: profile)
        logFinished("chat stream finished", completion, call: call)
        progress.yield(.finished(completion), to: continuation)
    }

    /// The error for a cut stream, logged at warning with the server's name and carrying the
    /// estimated usage of the partial answer (tokenizing now could cut the very request that
    /// interrupted this stream).
    private func incomplete(_ request: ChatRequest, endpoint: String, reason: String, content: String) async
        -> ModelError
    {
        logger.warning(
            "model server ended the answer without a finish_reason; it is incomplete",
            metadata: [
                "server": "\(serverName)", "base_url": "\(Self.withoutCredentials(baseURL))", "endpoint": "\(endpoint)",
                "reason": "\(reason)", "received_characters": "\(content.count)",
            ])
        let usage = TokenUsage.estimated(prompt: request.promptText, answer: content)
        return .incomplete(endpoint: endpoint, reason: reason, usage: usage)
    }

    /// `url` without any `user:password@`.
    static func withoutCredentials(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.user = nil
        components.password = nil
        return components.string ?? url
    }

    /// One try: returns the merged completion of a stream that finished, or throws.
    private func streamAttempt(
        _ call: Call, body: Data, limits: CallLimits, watchdog: Watchdog,
        continuation: AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation, progress: StreamProgress
    ) async throws -> ChatCompletion {
        let response = try await execute(call, body: body, accept: "text/event-stream", limits: limits)
        watchdog.touch()
        try await checkStatus(response, for: call, watchdog: watchdog)

        if response.headers.first(name: "Content-Type")?.lowercased().contains("application/json") == true {
            // The server ignored `stream: true` and answered in one piece.
            let data = try await readBody(response, upTo: configuration.maxResponseBytes, for: call, watchdog: watchdog)
            let completion = try decode(WireChatResponse.self, from: data, for: call).completion(endpoint: call.endpoint)
            if !completion.content.isEmpty { progress.yield(.content(completion.content), to: continuation) }
            return completion
        }

        var parser = SSEParser()
        var accumulator = ChatStreamAccumulator()
        var sawDone = false
        receiving: for try await buffer in response.body {
            watchdog.touch()
            for event in parser.feed(buffer.readableBytesView) {
                if try handle(event, into: &accumulator, for: call, continuation: continuation, progress: progress) {
                    sawDone = true
                    break receiving
                }
            }
        }
        if !sawDone {
            for event in parser.finish() {
                if try handle(event, into: &accumulator, for: call, continuation: continuation, progress: progress) {
                    sawDone = true
                    break
                }
            }
        }
        guard accumulator.finishReason != nil else {
            let reason =
                sawDone ? "the stream ended with [DONE] but no finish_reason" : "the stream closed before a finish_reason"
            throw AttemptFailure(
                error: ModelError.incomplete(endpoint: call.endpoint, reason: reason, usage: nil), isRetryable: true,
                retryAfter: nil)
        }
        return accumulator.completion
    }

    /// Applies one SSE event; returns `true` at `data: [DONE]`. An error frame throws.
    private func handle(
        _ event: SSEEvent, into accumulator: inout ChatStreamAccumulator, for call: Call,
        continuation: AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation, progress: StreamProgress
    ) throws -> Bool {
        if Self.isDone(event.data) { return true }
        let data = event.data
        let chunk: WireChunk
        do {
            // One pass over the frame, no JSONDecoder per chunk.
            chunk = try WireChunk(json: JSONValue(parsing: data))
        } catch {
            guard event.event == "error" else {
                throw AttemptFailure.final(
                    ModelError.invalidResponse(
                        endpoint: call.endpoint,
                        reason: "a stream frame is not a chat.completion.chunk: \(Self.describe(frameError: error))"))
            }
            logger.warning(
                "model server sent an error frame",
                metadata: ["server": "\(serverName)", "endpoint": "\(call.endpoint)", "frame": "\(redact(String(data.prefix(2000))))"])
            throw AttemptFailure(
                error: ModelError.upstream(endpoint: call.endpoint, status: 500, message: "error in stream"),
                isRetryable: true, retryAfter: nil)
        }
        if let error = chunk.error {
            // In-stream errors arrive after a 200; their `code` is the status when it is one.
            let status = error.code.flatMap { (400..<600).contains($0) ? $0 : nil } ?? 500
            logger.warning(
                "model server sent an error in the stream",
                metadata: [
                    "server": "\(serverName)", "endpoint": "\(call.endpoint)", "status": "\(status)",
                    "message": "\(redact(String((error.message ?? "").prefix(2000))))",
                ])
            let name = Self.safeCodeName(error.codeName).map { " (\($0))" } ?? ""
            throw AttemptFailure(
                error: ModelError.upstream(endpoint: call.endpoint, status: status, message: "error in stream" + name),
                isRetryable: status == 429 || status >= 500, retryAfter: nil)
        }
        if let piece = accumulator.apply(chunk) {
            progress.yield(.content(piece), to: continuation)
        }
        return false
    }
}
