import Foundation
import Logging
import TernCore

/// Settings of the agent that do not change per turn.
package struct AgentSettings: Sendable {
    /// The upstream model the agent talks to.
    package var model: String
    /// How many stored messages are loaded as history when the channel sends none.
    package var historyLimit: Int
    /// Prepended to every model call, when set.
    package var systemPrompt: String?

    package init(model: String, historyLimit: Int = 50, systemPrompt: String? = nil) {
        self.model = model
        self.historyLimit = historyLimit
        self.systemPrompt = systemPrompt
    }
}

/// The orchestrator every channel talks to: one turn in, one stream of ``AgentEvent``s out.
///
/// For now it answers directly; plans, tools and skills arrive behind the same stream.
package struct AgentService: Sendable {
    private let store: any ConversationStore
    private let model: any ModelProvider
    private let settings: AgentSettings
    private let logger: Logger

    package init(
        store: any ConversationStore, model: any ModelProvider, settings: AgentSettings,
        logger: Logger = Logger(label: "tern.agent")
    ) {
        self.store = store
        self.model = model
        self.settings = settings
        self.logger = logger
    }

    /// Runs one turn. The user message is stored before the model is called; the assistant
    /// message is stored when the turn ends, marked incomplete if it was cut short (the consumer
    /// cancelled, or the model failed mid-answer).
    package func run(_ turn: AgentTurn) -> AsyncThrowingStream<AgentEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: AgentEvent.self)
        let task = Task {
            do {
                try await execute(turn, into: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func execute(
        _ turn: AgentTurn, into continuation: AsyncThrowingStream<AgentEvent, any Error>.Continuation
    ) async throws {
        // History is read before the new message is stored so it is not sent twice.
        let history = try await promptHistory(for: turn)
        _ = try await store.append(
            NewMessage(sessionID: turn.session, role: .user, content: turn.input), in: turn.context)
        try Task.checkCancellation()

        var messages = history
        if let systemPrompt = settings.systemPrompt, !messages.contains(where: { $0.role == .system }) {
            messages.insert(ChatMessage(role: .system, content: systemPrompt), at: 0)
        }
        messages.append(ChatMessage(role: .user, content: turn.input))
        let request = ChatRequest(model: settings.model, messages: messages)

        var answer = ""
        do {
            for try await event in model.stream(request) {
                switch event {
                case .content(let text):
                    answer += text
                    continuation.yield(.content(text))
                case .finished(let completion):
                    if answer.isEmpty, !completion.content.isEmpty {
                        answer = completion.content
                        continuation.yield(.content(completion.content))
                    }
                    try Task.checkCancellation()
                    let stored = try await store.append(
                        NewMessage(
                            sessionID: turn.session, role: .assistant, content: answer,
                            usage: completion.usage),
                        in: turn.context)
                    if let usage = completion.usage { continuation.yield(.usage(usage)) }
                    continuation.yield(
                        .finished(messageID: stored.id, finishReason: completion.finishReason ?? "stop"))
                    return
                }
            }
            throw ModelError.invalidResponse(
                endpoint: "chat/completions", reason: "the stream ended without a final chunk")
        } catch {
            if !answer.isEmpty { await storeIncomplete(answer, turn: turn, cause: error) }
            throw error
        }
    }

    private func promptHistory(for turn: AgentTurn) async throws -> [ChatMessage] {
        if let prior = turn.priorMessages { return prior }
        return try await store.history(of: turn.session, in: turn.context, limit: settings.historyLimit)
            .map { ChatMessage(role: $0.role, content: $0.content) }
    }

    /// Keeps what the user already saw. Runs in its own task because the turn's task may be
    /// cancelled (client gone) and the write must still happen. A failure here is logged; the
    /// caller goes on to throw the error that ended the turn.
    private func storeIncomplete(_ answer: String, turn: AgentTurn, cause: any Error) async {
        let store = self.store
        let message = NewMessage(
            sessionID: turn.session, role: .assistant, content: answer, status: .incomplete)
        let write = Task { try await store.append(message, in: turn.context) }
        do {
            let stored = try await write.value
            logger.warning(
                "turn ended early; partial answer stored",
                metadata: [
                    "message_id": "\(stored.id)", "context": "\(turn.context)",
                    "characters": "\(answer.count)", "cause": "\(cause)",
                ])
        } catch {
            logger.error(
                "could not store the partial answer",
                metadata: ["context": "\(turn.context)", "error": "\(error)", "cause": "\(cause)"])
        }
    }
}
