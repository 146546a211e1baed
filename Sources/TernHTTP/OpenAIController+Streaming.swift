import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TernAgent
import TernCore

extension OpenAIController {
    /// Streams the turn as `chat.completion.chunk` SSE frames ending in `data: [DONE]`; the head
    /// and the role chunk wait for the turn's first item (see ``TurnStream``).
    /// When the client hangs up, the turn is cancelled at once (not at the next write); the
    /// agent stores the partial answer marked incomplete.
    func streamed(
        _ turn: Turn, meta: ResponseMeta, includeUsage: Bool, renderer: ProgressRenderer, logger: Logger,
        release: @escaping @Sendable () -> Void
    ) async throws -> Response {
        try await TurnStream.response(turn, release: release) { items, writer in
            try await Self.write(
                &items, to: &writer, meta: meta, includeUsage: includeUsage, renderer: renderer, logger: logger)
        }
    }

    private static func write(
        _ items: inout TurnItems, to writer: inout any ResponseBodyWriter, meta: ResponseMeta, includeUsage: Bool,
        renderer: ProgressRenderer, logger: Logger
    ) async throws {
        let frames = ChunkFramer(meta: meta)
        try await writer.write(frames.roleFrame())
        var usage: TokenUsage?
        do {
            while let item = try await items.next() {
                switch item {
                case .quiet:
                    try await writer.write(TurnStream.keepAliveFrame)
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
            }
        } catch let error where !(error is CancellationError) && !TurnStream.isClientGone(error) {
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
