import Foundation
package import TernCore

/// A tool call the fake model makes; streamed with its `id` and `name` repeated in every delta
/// (as vLLM and llama.cpp do) and its arguments in the given pieces.
package struct FakeLLMToolCall: Sendable, Equatable {
    package var id: String
    package var name: String
    package var argumentPieces: [String]

    /// The arguments as the client should see them after merging.
    package var arguments: String { argumentPieces.joined() }

    package init(id: String, name: String, argumentPieces: [String]) {
        self.id = id
        self.name = name
        self.argumentPieces = argumentPieces
    }

    package init(id: String, name: String, arguments: String) {
        self.init(id: id, name: name, argumentPieces: [arguments])
    }
}

/// A signal a test opens to let a scripted reply go on, so it controls exactly when the fake
/// answers or drops a connection (no sleeping in tests). See ``FakeLLMReply/delayed(until:)`` and
/// ``FakeLLMReply/disconnecting(afterChunks:after:)``.
package final class FakeLLMGate: Sendable, Equatable {
    let signal: FakeLLMSignal

    package init() { signal = FakeLLMSignal() }

    /// A gate that opens when `signal` fires.
    init(firing signal: FakeLLMSignal) { self.signal = signal }

    /// Lets every reply waiting on this gate go on (now and later).
    package func open() { signal.fire() }

    package static func == (lhs: FakeLLMGate, rhs: FakeLLMGate) -> Bool { lhs === rhs }
}

/// One scripted answer of ``FakeLLMServer`` to a chat call. The same script answers both
/// `stream: true` (SSE chunks) and plain JSON. Build with the static functions, then refine:
///
/// ```swift
/// fake.enqueue(
///     .content("Hel", "lo").withoutUsage(),
///     .httpError(status: 429, retryAfter: 2),
///     .content("partial", "never").disconnecting(afterChunks: 1))
/// ```
package struct FakeLLMReply: Sendable {
    /// The token usage the reply reports.
    package enum Usage: Sendable, Equatable {
        /// Prompt = words in all request messages, completion = words in the reply.
        case counted
        /// No `usage` at all (the stream's usage chunk is left out too).
        case omitted
        /// Exactly these numbers.
        case exact(TokenUsage)
    }

    /// How the answer ends. "Chunks" are the content and tool-call delta frames of a stream
    /// (not the leading role frame); plain JSON answers treat any non-`complete` ending as failure.
    package enum Ending: Sendable, Equatable {
        /// All chunks, finish reason, usage, `data: [DONE]`.
        case complete
        /// Sends N chunks, waits for the gate if there is one, then drops the connection (plain
        /// JSON: half a body, then drops). HTTP clients may discard bytes they received but had
        /// not handed out yet when the connection breaks; a gate the test opens after it saw the
        /// chunks makes "content, then disconnect" deterministic.
        case disconnect(afterChunks: Int, gate: FakeLLMGate?)
        /// Sends N chunks, then an SSE `{"error": …}` frame and `[DONE]` (plain JSON: that status).
        case errorFrame(afterChunks: Int, message: String, code: Int?)
        /// Sends N chunks, then waits until the client goes away or the server stops.
        case stall(afterChunks: Int)
    }

    enum Kind: Sendable, Equatable {
        case answer(pieces: [String], toolCalls: [FakeLLMToolCall])
        case httpError(status: Int, message: String, retryAfter: Int?)
        case hang
    }

    var kind: Kind
    /// Reported usage; `.counted` by default.
    package var usage: Usage = .counted
    /// How the answer ends; `.complete` by default.
    package var ending: Ending = .complete
    /// Waited before the first byte (the response head); cut short when the server stops or the
    /// client goes away.
    package var delay: Duration?
    /// Waited for before the first byte, like ``delay``.
    package var delayGate: FakeLLMGate?
    /// Overrides the finish reason (`stop`, or `tool_calls` when there are tool calls).
    package var finishReason: String?

    init(kind: Kind) { self.kind = kind }

    /// Content, streamed one delta per piece.
    package static func content(_ pieces: String...) -> FakeLLMReply {
        content(pieces)
    }

    /// Content, streamed one delta per piece.
    package static func content(_ pieces: [String]) -> FakeLLMReply {
        FakeLLMReply(kind: .answer(pieces: pieces, toolCalls: []))
    }

    /// Tool calls (after optional content), finish reason `tool_calls`.
    package static func toolCalls(_ calls: FakeLLMToolCall..., content: [String] = []) -> FakeLLMReply {
        FakeLLMReply(kind: .answer(pieces: content, toolCalls: calls))
    }

    /// An HTTP error with an OpenAI-shaped JSON body and, optionally, `Retry-After` seconds.
    package static func httpError(status: Int, message: String = "scripted failure", retryAfter: Int? = nil)
        -> FakeLLMReply
    {
        FakeLLMReply(kind: .httpError(status: status, message: message, retryAfter: retryAfter))
    }

    /// Never answers: waits until the client goes away or the server stops, then drops the connection.
    package static let hang = FakeLLMReply(kind: .hang)

    /// The same reply with other usage.
    package func usage(_ usage: Usage) -> FakeLLMReply {
        var copy = self
        copy.usage = usage
        return copy
    }

    /// The same reply without any usage.
    package func withoutUsage() -> FakeLLMReply { usage(.omitted) }

    /// The same reply after waiting `delay` before the first byte.
    package func delayed(by delay: Duration) -> FakeLLMReply {
        var copy = self
        copy.delay = delay
        return copy
    }

    /// The same reply before which the server waits until `gate` is opened.
    package func delayed(until gate: FakeLLMGate) -> FakeLLMReply {
        var copy = self
        copy.delayGate = gate
        return copy
    }

    /// The same reply, dropping the connection after `count` chunks (and, if given, once `gate`
    /// is opened).
    package func disconnecting(afterChunks count: Int, after gate: FakeLLMGate? = nil) -> FakeLLMReply {
        ending(.disconnect(afterChunks: count, gate: gate))
    }

    /// The same reply, sending an SSE error frame after `count` chunks.
    package func failing(afterChunks count: Int, message: String = "scripted stream failure", code: Int? = nil)
        -> FakeLLMReply
    {
        ending(.errorFrame(afterChunks: count, message: message, code: code))
    }

    /// The same reply, going silent after `count` chunks until the client leaves or the server stops.
    package func stalling(afterChunks count: Int) -> FakeLLMReply {
        ending(.stall(afterChunks: count))
    }

    /// The same reply with another finish reason.
    package func finishReason(_ reason: String) -> FakeLLMReply {
        var copy = self
        copy.finishReason = reason
        return copy
    }

    private func ending(_ ending: Ending) -> FakeLLMReply {
        var copy = self
        copy.ending = ending
        return copy
    }
}
