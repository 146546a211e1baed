import Foundation
import Hummingbird
import NIOCore
import TernCore

/// One chat answer, ready to render as JSON or as SSE chunks.
struct FakeLLMAnswer: Sendable {
    var id: String
    var model: String
    var pieces: [String]
    var toolCalls: [FakeLLMToolCall]
    var finishReason: String
    var usage: TokenUsage?

    var usageJSON: JSONValue? {
        usage.map {
            .object([
                "prompt_tokens": .number(Double($0.promptTokens)),
                "completion_tokens": .number(Double($0.completionTokens)),
                "total_tokens": .number(Double($0.totalTokens)),
            ])
        }
    }

    /// A whole `chat.completion`.
    var completionJSON: JSONValue {
        let content = pieces.joined()
        var message: [String: JSONValue] = [
            "role": .string("assistant"),
            "content": content.isEmpty && !toolCalls.isEmpty ? .null : .string(content),
        ]
        if !toolCalls.isEmpty {
            message["tool_calls"] = .array(
                toolCalls.map { call in
                    .object([
                        "id": .string(call.id), "type": .string("function"),
                        "function": .object(["name": .string(call.name), "arguments": .string(call.arguments)]),
                    ])
                })
        }
        var body: [String: JSONValue] = [
            "id": .string(id), "object": .string("chat.completion"), "created": .number(0), "model": .string(model),
            "choices": .array([
                .object(["index": .number(0), "message": .object(message), "finish_reason": .string(finishReason)])
            ]),
        ]
        body["usage"] = usageJSON
        return .object(body)
    }

    /// A `chat.completion.chunk` with one choice.
    func chunk(delta: JSONValue, finishReason: JSONValue = .null) -> JSONValue {
        .object([
            "id": .string(id), "object": .string("chat.completion.chunk"), "created": .number(0),
            "model": .string(model),
            "choices": .array([.object(["index": .number(0), "delta": delta, "finish_reason": finishReason])]),
        ])
    }

    /// The content and tool-call deltas, in order; tool-call deltas repeat id and name every time.
    var deltas: [JSONValue] {
        var deltas: [JSONValue] = pieces.map { .object(["content": .string($0)]) }
        for (index, call) in toolCalls.enumerated() {
            for piece in call.argumentPieces.isEmpty ? [""] : call.argumentPieces {
                let toolCall: JSONValue = .object([
                    "index": .number(Double(index)), "id": .string(call.id), "type": .string("function"),
                    "function": .object(["name": .string(call.name), "arguments": .string(piece)]),
                ])
                deltas.append(.object(["content": .null, "tool_calls": .array([toolCall])]))
            }
        }
        return deltas
    }
}

extension FakeLLMRoutes {
    func chatResponse(to record: FakeLLMRecordedRequest, json: JSONValue?, channel: any Channel) async throws
        -> Response
    {
        guard let messages = json?["messages"]?.arrayValue else {
            return Self.error(status: 400, message: "'messages' is required and must be an array")
        }
        if state.quirks.rejectsNullContent, FakeLLMQuirks.hasNullAssistantContent(messages) {
            return Self.json(
                .object([
                    "error": .object([
                        "message": .string(FakeLLMQuirks.nullContentErrorMessage), "type": .string("internal_server_error"),
                        "param": .null, "code": .null,
                    ])
                ]), status: 500)
        }
        let pace = state.pace.flatMap { $0.applies(to: messages) ? $0 : nil }
        var reply = state.dequeue() ?? Self.directed(messages, tools: json?["tools"]) ?? Self.echo(messages, pace: pace)
        if state.quirks.toolsNeedNamedChoice {
            reply = FakeLLMQuirks.applyingToolChoice(json?["tool_choice"], to: reply, messages: messages)
        }
        let clientGone = state.clientGone(on: channel)
        if reply.delay != nil || reply.delayGate != nil {
            try await pause(for: reply.delay, gate: reply.delayGate, clientGone: clientGone)
        }
        switch reply.kind {
        case .hang:
            try await pause(for: nil, clientGone: clientGone)
            throw FakeLLMDroppedConnection()
        case .httpError(let status, let message, let retryAfter):
            var headers = HTTPFields()
            if let retryAfter { headers[.retryAfter] = String(retryAfter) }
            return Self.error(status: status, message: message, headers: headers)
        case .answer(let pieces, let toolCalls):
            let answer = FakeLLMAnswer(
                id: "chatcmpl-fake-\(state.makeID())", model: json?["model"]?.stringValue ?? FakeLLMServer.modelID,
                pieces: pieces, toolCalls: toolCalls,
                finishReason: reply.finishReason ?? (toolCalls.isEmpty ? "stop" : "tool_calls"),
                usage: Self.usage(reply.usage, messages: messages, pieces: pieces))
            if record.isStreaming {
                return streamResponse(answer, ending: reply.ending, pace: pace, clientGone: clientGone)
            }
            return try await plainResponse(answer, ending: reply.ending, clientGone: clientGone)
        }
    }

    /// Waits `duration` or for `gate` (forever if neither); throws when the client left or the
    /// server is stopping.
    private func pause(for duration: Duration?, gate: FakeLLMGate? = nil, clientGone: FakeLLMSignal) async throws {
        switch await fakeLLMWait(for: duration, gate: gate?.signal, stop: state.stopping, clientGone: clientGone) {
        case .elapsed:
            return
        case .clientGone:
            state.disconnectCount.increment()
            throw FakeLLMDroppedConnection()
        case .serverStopping:
            throw HTTPError(.serviceUnavailable, message: "the fake LLM server is stopping")
        }
    }

    private func plainResponse(_ answer: FakeLLMAnswer, ending: FakeLLMReply.Ending, clientGone: FakeLLMSignal)
        async throws -> Response
    {
        switch ending {
        case .complete:
            return Self.json(answer.completionJSON)
        case .disconnect(_, let gate):
            let body = Self.encode(answer.completionJSON)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(bytes: body.prefix(body.count / 2)))
                    if let gate { try await pause(for: nil, gate: gate, clientGone: clientGone) }
                    throw FakeLLMDroppedConnection()
                })
        case .errorFrame(_, let message, let code):
            return Self.error(status: code ?? 500, message: message)
        case .stall:
            try await pause(for: nil, clientGone: clientGone)
            throw FakeLLMDroppedConnection()
        }
    }

    private func streamResponse(
        _ answer: FakeLLMAnswer, ending: FakeLLMReply.Ending, pace: FakeLLMPace?, clientGone: FakeLLMSignal
    ) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                do {
                    try await writeStream(answer, ending: ending, pace: pace, clientGone: clientGone, to: &writer)
                } catch let error as FakeLLMDroppedConnection {
                    throw error
                } catch let error as HTTPError {
                    throw error
                } catch {
                    // Only writes fail here: the client has gone.
                    state.disconnectCount.increment()
                    throw error
                }
            })
    }

    /// Waits one ``FakeLLMPace/interval`` (a plain sleep: cheap enough for thousands of open
    /// streams); ends the stream when the server is stopping.
    private func waitForNextToken(_ pace: FakeLLMPace) async throws {
        do {
            try await Task.sleep(for: pace.interval)
        } catch {
            throw FakeLLMDroppedConnection()  // cancelled: the server is shutting down
        }
        if state.stopping.isFired {
            throw HTTPError(.serviceUnavailable, message: "the fake LLM server is stopping")
        }
    }

    private func writeStream(
        _ answer: FakeLLMAnswer, ending: FakeLLMReply.Ending, pace: FakeLLMPace?, clientGone: FakeLLMSignal,
        to writer: inout any ResponseBodyWriter
    ) async throws {
        func frame(_ value: JSONValue) -> [UInt8] {
            Array("data: ".utf8) + Array(Self.encode(value)) + Array("\n\n".utf8)
        }
        let keepAlive = Array(": keep-alive\n\n".utf8)
        let running = state.quirks.interruptsStreamsOnNewRequest ? state.streamStarted() : nil
        defer { running.map { state.streamEnded($0.id) } }
        func endInterrupted(_ writer: inout any ResponseBodyWriter) async throws {
            try await writer.write(ByteBuffer(bytes: Array("data: [DONE]\n\n".utf8)))
            try await writer.finish(nil)
        }

        try await writer.write(
            ByteBuffer(bytes: frame(answer.chunk(delta: .object(["role": .string("assistant"), "content": .string("")])))))
        try await writer.write(ByteBuffer(bytes: keepAlive))
        let deltas = answer.deltas
        let limit: Int
        switch ending {
        case .complete: limit = deltas.count
        case .disconnect(let count, _), .errorFrame(let count, _, _), .stall(let count): limit = min(count, deltas.count)
        }
        for (number, delta) in deltas.prefix(limit).enumerated() {
            if let pace { try await waitForNextToken(pace) }
            if running?.interrupted.isFired == true { return try await endInterrupted(&writer) }
            let bytes = frame(answer.chunk(delta: delta))
            if number.isMultiple(of: 2) {
                try await writer.write(ByteBuffer(bytes: bytes))
            } else {
                // Split the frame mid-way (possibly inside a UTF-8 sequence), as proxies do.
                try await writer.write(ByteBuffer(bytes: bytes[..<(bytes.count / 2)]))
                try await writer.write(ByteBuffer(bytes: bytes[(bytes.count / 2)...]))
            }
            if number % 3 == 2 { try await writer.write(ByteBuffer(bytes: keepAlive)) }
        }

        if running?.interrupted.isFired == true { return try await endInterrupted(&writer) }
        switch ending {
        case .complete:
            try await writer.write(
                ByteBuffer(bytes: frame(answer.chunk(delta: .object([:]), finishReason: .string(answer.finishReason)))))
            if let usage = answer.usageJSON, state.quirks.streamsUsage {
                let usageChunk: JSONValue = .object([
                    "id": .string(answer.id), "object": .string("chat.completion.chunk"), "created": .number(0),
                    "model": .string(answer.model), "choices": .array([]), "usage": usage,
                ])
                try await writer.write(ByteBuffer(bytes: frame(usageChunk)))
            }
        case .disconnect(_, let gate):
            if let gate { try await pause(for: nil, gate: gate, clientGone: clientGone) }
            throw FakeLLMDroppedConnection()
        case .errorFrame(_, let message, let code):
            var error: [String: JSONValue] = ["message": .string(message), "type": .string("server_error")]
            error["code"] = code.map { .number(Double($0)) } ?? .null
            try await writer.write(ByteBuffer(bytes: frame(.object(["error": .object(error)]))))
        case .stall:
            try await pause(for: nil, gate: running.map { FakeLLMGate(firing: $0.interrupted) }, clientGone: clientGone)
            if running?.interrupted.isFired == true { return try await endInterrupted(&writer) }
            throw FakeLLMDroppedConnection()
        }
        try await writer.write(ByteBuffer(bytes: keepAlive + Array("data: [DONE]\n\n".utf8)))
        try await writer.finish(nil)
    }
}
