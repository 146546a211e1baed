import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import TernCore

/// Whether a stream has handed anything to its consumer; from then on it is never retried.
private final class StreamProgress: Sendable {
    private let yielded = Mutex(false)

    /// Whether any event reached the consumer.
    var hasYielded: Bool { yielded.withLock { $0 } }

    /// Hands `event` to the consumer and remembers that it did.
    func yield(
        _ event: ChatStreamEvent, to continuation: AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation
    ) {
        yielded.withLock { $0 = true }
        continuation.yield(event)
    }
}

extension OpenAIClient {
    /// A streamed chat completion: `.content` for each non-empty delta, then one `.finished`.
    ///
    /// Retried like ``complete(_:)`` only until the first event was yielded; a later failure ends
    /// the stream with a ``ModelError`` and the consumer keeps what it got. Cancelling the
    /// consuming task (or dropping the stream) cancels the HTTP request.
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
        let call = Call(method: .POST, path: "/chat/completions", basePath: basePath)
        let body = try encode(WireChatRequest(request, stream: true), for: call)
        let limits = limits(streaming: true)
        let progress = StreamProgress()
        logger.debug("chat stream", metadata: ["endpoint": "\(call.endpoint)", "model": "\(request.model)"])
        try await withRetries(endpoint: call.endpoint) { _ in
            do {
                try await withWatchdog(limits, endpoint: call.endpoint) { watchdog in
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

    private func streamAttempt(
        _ call: Call, body: Data, limits: CallLimits, watchdog: Watchdog,
        continuation: AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation, progress: StreamProgress
    ) async throws {
        let response = try await execute(call, body: body, accept: "text/event-stream", limits: limits)
        watchdog.touch()
        try await checkStatus(response, for: call, watchdog: watchdog)

        if response.headers.first(name: "Content-Type")?.lowercased().contains("application/json") == true {
            // The server ignored `stream: true` and answered in one piece.
            let data = try await readBody(response, upTo: configuration.maxResponseBytes, for: call, watchdog: watchdog)
            let completion = try decode(WireChatResponse.self, from: data, for: call).completion(endpoint: call.endpoint)
            if !completion.content.isEmpty { progress.yield(.content(completion.content), to: continuation) }
            progress.yield(.finished(completion), to: continuation)
            return
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
        guard sawDone || accumulator.finishReason != nil else {
            throw AttemptFailure(
                error: ModelError.connection(endpoint: call.endpoint, reason: "the stream ended before [DONE]"),
                isRetryable: true, retryAfter: nil)
        }
        let completion = accumulator.completion
        logger.debug(
            "chat stream finished",
            metadata: [
                "endpoint": "\(call.endpoint)", "finish_reason": "\(completion.finishReason ?? "none")",
                "tool_calls": "\(completion.toolCalls.count)",
                "completion_tokens": "\(completion.usage.map { String($0.completionTokens) } ?? "unknown")",
            ])
        progress.yield(.finished(completion), to: continuation)
    }

    /// Applies one SSE event; returns `true` at `data: [DONE]`. An error frame throws.
    private func handle(
        _ event: SSEEvent, into accumulator: inout ChatStreamAccumulator, for call: Call,
        continuation: AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation, progress: StreamProgress
    ) throws -> Bool {
        let data = event.data.trimmingCharacters(in: .whitespaces)
        if data == "[DONE]" { return true }
        let chunk: WireChunk
        do {
            chunk = try JSONDecoder().decode(WireChunk.self, from: Data(data.utf8))
        } catch {
            guard event.event == "error" else {
                throw AttemptFailure.final(
                    ModelError.invalidResponse(
                        endpoint: call.endpoint,
                        reason: "a stream frame is not a chat.completion.chunk: \(Self.describe(decodingError: error))"))
            }
            let message = data.isEmpty ? "error in stream" : String(data.prefix(300))
            throw AttemptFailure(
                error: ModelError.upstream(endpoint: call.endpoint, status: 500, message: redact(message)),
                isRetryable: true, retryAfter: nil)
        }
        if let error = chunk.error {
            // In-stream errors arrive after a 200; their `code` is the status when it is one.
            let status = error.code.flatMap { (400..<600).contains($0) ? $0 : nil } ?? 500
            throw AttemptFailure(
                error: ModelError.upstream(
                    endpoint: call.endpoint, status: status, message: redact(error.message ?? "error in stream")),
                isRetryable: status == 429 || status >= 500, retryAfter: nil)
        }
        if let piece = accumulator.apply(chunk) {
            progress.yield(.content(piece), to: continuation)
        }
        return false
    }
}
