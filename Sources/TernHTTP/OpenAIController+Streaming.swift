import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TernAgent
import TernCore

extension OpenAIController {
    /// Streams the turn as `chat.completion.chunk` SSE frames ending in `data: [DONE]`.
    ///
    /// The first event is awaited before the response starts, so a turn that fails at once
    /// (no model configured, upstream down) gets a real HTTP status instead of a 200 stream.
    /// When the client hangs up, the events are cancelled at once (not at the next write),
    /// which cancels the turn; the agent stores the partial answer marked incomplete.
    func streamed(
        _ events: CancellableEvents, meta: ResponseMeta, includeUsage: Bool, renderer: ProgressRenderer,
        logger: Logger, release: @escaping @Sendable () -> Void
    ) async throws -> Response {
        let first: AgentEvent?
        do {
            first = try await events.next()
        } catch {
            release()
            throw error
        }
        let body = ResponseBody { writer in
            defer { release() }
            try await Self.write(
                first: first, rest: events, to: &writer, meta: meta, includeUsage: includeUsage, renderer: renderer,
                logger: logger)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream", .cacheControl: "no-cache",
                HTTPField.Name("X-Accel-Buffering")!: "no",
            ],
            body: body)
    }

    private static func write(
        first: AgentEvent?, rest events: CancellableEvents, to writer: inout any ResponseBodyWriter, meta: ResponseMeta,
        includeUsage: Bool, renderer: ProgressRenderer, logger: Logger
    ) async throws {
        let frames = ChunkFramer(meta: meta)
        try await writer.write(frames.roleFrame())
        var usage: TokenUsage?
        var pending = first
        do {
            while let event = pending {
                switch event {
                case .content(let text):
                    try await writer.write(frames.contentFrame(text))
                case .usage(let reported):
                    usage = reported
                case .clientToolCalls(let calls):
                    try await writer.write(frames.toolCallsFrame(calls))
                case .finished(_, let reason):
                    try await writer.write(frames.finishFrame(reason))
                default:
                    if let line = renderer.line(for: event) { try await writer.write(frames.contentFrame(line)) }
                }
                pending = try await events.next()
            }
        } catch let error where !(error is CancellationError) && !events.isClientGone(error) {
            // The status line is long gone; OpenAI clients read an `error` frame as a failure.
            let apiError =
                APIError.from(error)
                ?? APIError(status: .internalServerError, message: "internal error; see the server log", type: "server_error")
            logger.warning("stream ended with an error", metadata: ["error": "\(error)"])
            var frame = ByteBuffer(string: "data: ")
            frame.writeBytes(apiError.jsonBody)
            frame.writeString("\n\n")
            try await writer.write(frame)
            try await writer.finish(nil)
            return
        }
        if includeUsage, let usage {
            try await writer.write(frames.usageFrame(usage))
        }
        try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
        try await writer.finish(nil)
    }
}

/// Encodes the chunks of one streamed answer.
struct ChunkFramer {
    let meta: ResponseMeta

    func roleFrame() throws -> ByteBuffer {
        try frame(.init(delta: .init(role: "assistant", content: ""), finishReason: nil))
    }

    func contentFrame(_ text: String) throws -> ByteBuffer {
        try frame(.init(delta: .init(content: text), finishReason: nil))
    }

    /// Every call whole in one delta (OpenAI splits arguments over chunks; clients merge by
    /// `index`, so one chunk per call is equally valid).
    func toolCallsFrame(_ calls: [ToolCall]) throws -> ByteBuffer {
        let wire = calls.enumerated().map { OpenAIWire.ToolCallWire($0.element, index: $0.offset) }
        return try frame(.init(delta: .init(toolCalls: wire), finishReason: nil))
    }

    func finishFrame(_ reason: String) throws -> ByteBuffer {
        try frame(.init(delta: .init(), finishReason: reason))
    }

    func usageFrame(_ usage: TokenUsage) throws -> ByteBuffer {
        try encode(
            OpenAIWire.Chunk(
                id: meta.id, created: meta.created, model: meta.model, choices: [],
                usage: .init(usage)))
    }

    private func frame(_ choice: OpenAIWire.Chunk.Choice) throws -> ByteBuffer {
        try encode(OpenAIWire.Chunk(id: meta.id, created: meta.created, model: meta.model, choices: [choice]))
    }

    private func encode(_ chunk: OpenAIWire.Chunk) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(try JSONEncoder.tern.encode(chunk))
        buffer.writeString("\n\n")
        return buffer
    }
}

/// The agent's events, relayed so the turn can be cancelled from outside the consuming task
/// (when the connection closes) and read by the handler first and the response body after.
///
/// `@unchecked Sendable`: the iterator is used by one task at a time, strictly in sequence (the
/// handler, then the body writer), never concurrently; `cancel` only touches the relay task.
final class CancellableEvents: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<AgentEvent, any Error>.AsyncIterator
    private let relay: Task<Void, Never>

    init(_ events: AsyncThrowingStream<AgentEvent, any Error>) {
        let (output, continuation) = AsyncThrowingStream.makeStream(of: AgentEvent.self)
        relay = Task {
            do {
                for try await event in events { continuation.yield(event) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        let relay = self.relay
        continuation.onTermination = { _ in relay.cancel() }
        iterator = output.makeAsyncIterator()
    }

    /// The next event; `nil` at the end.
    func next() async throws -> AgentEvent? {
        try await iterator.next()
    }

    /// Stops the turn: the agent's stream is dropped, which cancels it.
    func cancel() {
        relay.cancel()
    }

    /// Whether an error came from writing to a client that disconnected (nothing to tell it).
    func isClientGone(_ error: any Error) -> Bool {
        !(error is ModelError || error is StoreError || error is APIError || error is AgentError)
    }
}
