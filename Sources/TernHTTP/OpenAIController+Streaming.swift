import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import TernAgent
import TernCore

extension OpenAIController {
    /// Streams the turn as `chat.completion.chunk` SSE frames ending in `data: [DONE]`.
    ///
    /// The first event is awaited for a short grace (``ServerLimits/streamStartGrace``) before
    /// the response starts, so a turn that fails at once (no model configured, upstream down)
    /// gets a real HTTP status instead of a 200 stream; a slow model does not hold the headers:
    /// they and the role chunk go out when the grace ends. While the model is silent an SSE
    /// comment (`: keep-alive`) goes out every ``ServerLimits/streamKeepAlive``, so proxies with
    /// short read timeouts keep the connection.
    /// When the client hangs up, the events are cancelled at once (not at the next write),
    /// which cancels the turn; the agent stores the partial answer marked incomplete.
    func streamed(
        _ events: CancellableEvents, meta: ResponseMeta, includeUsage: Bool, renderer: ProgressRenderer,
        logger: Logger, release: @escaping @Sendable () -> Void
    ) async throws -> Response {
        let first: CancellableEvents.Item?
        do {
            events.startKeepAlive(grace: connections.limits.streamStartGrace, every: connections.limits.streamKeepAlive)
            first = try await events.nextItem()
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
        first: CancellableEvents.Item?, rest events: CancellableEvents, to writer: inout any ResponseBodyWriter,
        meta: ResponseMeta, includeUsage: Bool, renderer: ProgressRenderer, logger: Logger
    ) async throws {
        let frames = ChunkFramer(meta: meta)
        try await writer.write(frames.roleFrame())
        var usage: TokenUsage?
        var pending = first
        do {
            while let item = pending {
                switch item {
                case .keepAlive:
                    try await writer.write(CancellableEvents.keepAliveFrame)
                case .event(.content(let text)):
                    try await writer.write(frames.contentFrame(text))
                case .event(.usage(let reported)):
                    usage = reported
                case .event(.clientToolCalls(let calls)):
                    try await writer.write(frames.toolCallsFrame(calls))
                case .event(.finished(_, let reason)):
                    try await writer.write(frames.finishFrame(reason))
                case .event(let event):
                    if let line = renderer.line(for: event) { try await writer.write(frames.contentFrame(line)) }
                }
                pending = try await events.nextItem()
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

    /// One SSE frame; written by hand (ChatCompletionResponse+Writing.swift), not with a
    /// `JSONEncoder` per chunk.
    private func encode(_ chunk: OpenAIWire.Chunk) throws -> ByteBuffer {
        var writer = JSONWriter(capacity: 192 + meta.id.utf8.count + meta.model.utf8.count)
        chunk.write(to: &writer)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(writer.bytes.count + 8)
        buffer.writeString("data: ")
        buffer.writeBytes(writer.bytes)
        buffer.writeString("\n\n")
        return buffer
    }
}

/// The agent's events, relayed so the turn can be cancelled from outside the consuming task
/// (when the connection closes) and read by the handler first and the response body after;
/// for SSE answers, interleaved with keep-alive ticks while the turn is silent.
///
/// `@unchecked Sendable`: the iterator is used by one task at a time, strictly in sequence (the
/// handler, then the body writer), never concurrently; `cancel` only touches the relay and
/// ticker tasks, and the ticker's state is behind a lock.
final class CancellableEvents: @unchecked Sendable {
    /// What an SSE writer reads: an event, or a tick after a silence.
    enum Item: Sendable {
        case event(AgentEvent)
        case keepAlive
    }

    /// An SSE comment: clients ignore it, proxies see traffic.
    static let keepAliveFrame = ByteBuffer(string: ": keep-alive\n\n")

    private var iterator: AsyncThrowingStream<Item, any Error>.AsyncIterator
    private let continuation: AsyncThrowingStream<Item, any Error>.Continuation
    private let relay: Task<Void, Never>
    private let shared = Shared()

    /// What the relay, the ticker and `cancel` share.
    private final class Shared: Sendable {
        let ticker = Mutex<Task<Void, Never>?>(nil)
        /// When the relay last passed an event on; the ticker measures silence from it.
        let lastEvent = Mutex(ContinuousClock.now)
    }

    init(_ events: AsyncThrowingStream<AgentEvent, any Error>) {
        let (output, continuation) = AsyncThrowingStream.makeStream(of: Item.self)
        let shared = self.shared
        relay = Task {
            do {
                for try await event in events {
                    shared.lastEvent.withLock { $0 = .now }
                    continuation.yield(.event(event))
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        self.continuation = continuation
        iterator = output.makeAsyncIterator()
        let relay = self.relay
        continuation.onTermination = { _ in
            relay.cancel()
            shared.ticker.withLock { $0?.cancel() }
        }
    }

    /// Starts the ticks for an SSE answer: the first after `grace` without an event (so the
    /// handler can send its headers), then one after each `interval` without an event.
    func startKeepAlive(grace: Duration, every interval: Duration) {
        let continuation = continuation
        let shared = shared
        shared.lastEvent.withLock { $0 = .now }
        let task = Task {
            var wait = grace
            while !Task.isCancelled {
                let deadline = shared.lastEvent.withLock { $0 } + wait
                do {
                    try await sleepReleasingTimer(until: deadline)
                } catch {
                    return  // cancelled: the stream ended
                }
                let silentSince = shared.lastEvent.withLock { $0 }
                guard ContinuousClock.now >= silentSince + wait else { continue }
                if case .terminated = continuation.yield(.keepAlive) { return }
                shared.lastEvent.withLock { $0 = .now }
                wait = interval
            }
        }
        shared.ticker.withLock { previous in
            previous?.cancel()
            previous = task
        }
    }

    /// The next event or tick; `nil` at the end.
    func nextItem() async throws -> Item? {
        try await iterator.next()
    }

    /// The next event (ticks skipped); `nil` at the end.
    func next() async throws -> AgentEvent? {
        while let item = try await iterator.next() {
            if case .event(let event) = item { return event }
        }
        return nil
    }

    /// Stops the turn: the agent's stream is dropped, which cancels it.
    func cancel() {
        relay.cancel()
        shared.ticker.withLock { $0?.cancel() }
    }

    /// Whether an error came from writing to a client that disconnected (nothing to tell it).
    func isClientGone(_ error: any Error) -> Bool {
        !(error is ModelError || error is StoreError || error is APIError || error is AgentError)
    }
}
