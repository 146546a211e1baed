import Foundation
import Synchronization
import TernCore

/// An in-process ``ModelProvider`` for agent tests: answers from a script, records requests.
///
/// Each scripted step is one streamed answer: content pieces, then either a finish with usage
/// or a thrown error. A step may wait for a ``FakeLLMGate`` before its content continues.
package final class ScriptedModelProvider: ModelProvider {
    /// One scripted answer.
    package struct Step: Sendable {
        package var pieces: [String]
        package var usage: TokenUsage?
        package var failure: ModelError?
        /// Waits after the first piece until the gate opens (or the caller cancels).
        package var pauseAfterFirstPiece: FakeLLMGate?

        package init(
            pieces: [String], usage: TokenUsage? = nil, failure: ModelError? = nil,
            pauseAfterFirstPiece: FakeLLMGate? = nil
        ) {
            self.pieces = pieces
            self.usage = usage
            self.failure = failure
            self.pauseAfterFirstPiece = pauseAfterFirstPiece
        }
    }

    private let state = ScriptState()

    package init(_ steps: Step...) {
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
                        .finished(ChatCompletion(content: step.pieces.joined(), finishReason: "stop", usage: step.usage)))
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
