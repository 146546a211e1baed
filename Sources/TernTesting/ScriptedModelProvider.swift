import Foundation
import Synchronization
package import TernCore

/// An in-process ``ModelProvider`` for agent tests: answers from a script, records requests.
///
/// Each scripted step is one streamed answer: content pieces, then either a finish with usage
/// or a thrown error. A step may wait for a ``FakeLLMGate`` before its content continues.
package final class ScriptedModelProvider: ModelProvider {
    /// One scripted answer.
    package struct Step: Sendable {
        package var pieces: [String]
        /// Tool calls the model makes after its content (finish reason `tool_calls`).
        package var toolCalls: [ToolCall]
        package var usage: TokenUsage?
        package var failure: ModelError?
        /// Waits after the first piece until the gate opens (or the caller cancels).
        package var pauseAfterFirstPiece: FakeLLMGate?

        package init(
            pieces: [String], toolCalls: [ToolCall] = [], usage: TokenUsage? = nil, failure: ModelError? = nil,
            pauseAfterFirstPiece: FakeLLMGate? = nil
        ) {
            self.pieces = pieces
            self.toolCalls = toolCalls
            self.usage = usage
            self.failure = failure
            self.pauseAfterFirstPiece = pauseAfterFirstPiece
        }

        /// A reply of plain text, in one piece.
        package static func text(_ text: String, usage: TokenUsage? = nil) -> Step {
            Step(pieces: [text], usage: usage)
        }

        /// A reply that calls tools: `(name, arguments JSON)` pairs, ids `call_1`, `call_2`, ….
        package static func calls(_ calls: (String, String)...) -> Step {
            Step(
                pieces: [],
                toolCalls: calls.enumerated().map {
                    ToolCall(id: "call_\($0.offset + 1)", name: $0.element.0, arguments: $0.element.1)
                })
        }
    }

    private let state = ScriptState()

    package init(_ steps: Step...) {
        state.push(steps)
    }

    package init(steps: [Step]) {
        state.push(steps)
    }

    /// Adds steps to the end of the script.
    package func enqueue(_ steps: Step...) {
        state.push(steps)
    }

    /// The requests received, in order.
    package var requests: [ChatRequest] { state.requests }

    package func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        var content = ""
        for try await event in stream(request) {
            if case .finished(let completion) = event { return completion }
            if case .content(let text) = event { content += text }
        }
        return ChatCompletion(content: content)
    }

    package func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let step = state.take(request)
        return AsyncThrowingStream { continuation in
            let task = Task {
                guard let step else {
                    continuation.finish(throwing: ModelError.invalidResponse(endpoint: "script", reason: "no scripted step left"))
                    return
                }
                for (index, piece) in step.pieces.enumerated() {
                    continuation.yield(.content(piece))
                    if index == 0, let gate = step.pauseAfterFirstPiece { await gate.signal.wait() }
                    if Task.isCancelled {
                        continuation.finish(throwing: CancellationError())
                        return
                    }
                }
                if let failure = step.failure {
                    continuation.finish(throwing: failure)
                } else {
                    continuation.yield(
                        .finished(
                            ChatCompletion(
                                content: step.pieces.joined(), toolCalls: step.toolCalls,
                                finishReason: step.toolCalls.isEmpty ? "stop" : "tool_calls", usage: step.usage)))
                    continuation.finish()
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    package func models() async throws -> [ModelInfo] { [ModelInfo(id: "scripted")] }

    package func embed(_ inputs: [String], model: String?) async throws -> [[Float]] {
        inputs.map(FakeLLMServer.embedding(for:))
    }
}

private final class ScriptState: Sendable {
    private struct Inner {
        var steps: [ScriptedModelProvider.Step] = []
        var requests: [ChatRequest] = []
    }

    private let inner = Mutex(Inner())

    func push(_ steps: [ScriptedModelProvider.Step]) { inner.withLock { $0.steps += steps } }

    func take(_ request: ChatRequest) -> ScriptedModelProvider.Step? {
        inner.withLock { inner in
            inner.requests.append(request)
            return inner.steps.isEmpty ? nil : inner.steps.removeFirst()
        }
    }

    var requests: [ChatRequest] { inner.withLock { $0.requests } }
}
