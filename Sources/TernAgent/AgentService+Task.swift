import Foundation
import Logging
package import TernCore

/// A front end's background task call (Open WebUI's titles, tags, follow-up suggestions, search
/// queries, autocomplete): a single user message starting with `### Task:`.
package struct TaskCall: Sendable {
    package var context: ContextID
    /// The conversation the task is about, when the client named it.
    package var conversation: ConversationID?
    package var messages: [ChatMessage]
    package var sampling: SamplingParameters

    package init(
        context: ContextID, conversation: ConversationID?, messages: [ChatMessage], sampling: SamplingParameters
    ) {
        self.context = context
        self.conversation = conversation
        self.messages = messages
        self.sampling = sampling
    }

    /// Whether a thread is a task call: exactly one user message (a system message may come
    /// with it) whose text starts with `### Task:`.
    package static func isTask(_ messages: [ChatMessage]) -> Bool {
        let nonSystem = messages.filter { $0.role != .system }
        guard nonSystem.count == 1, let only = nonSystem.first, only.role == .user else { return false }
        return (only.content ?? "").drop { $0.isWhitespace }.hasPrefix("### Task:")
    }

    /// What the task is for (`task:title`, `task:tags`, `task:follow_ups`, `task:queries`,
    /// `task:autocomplete`, `task:image_prompt`, else `task:other`), read from the first line
    /// after `### Task:` of Open WebUI 0.12's default prompt templates.
    package var purpose: String {
        let text = messages.last { $0.role == .user }?.content ?? ""
        let body = text.drop { $0.isWhitespace }.dropFirst("### Task:".count).drop { $0.isWhitespace }
        let headline = body.prefix { $0 != "\n" }.lowercased()
        let kinds: [(String, String)] = [
            ("autocompletion", "autocomplete"), ("search quer", "queries"), ("image generation", "image_prompt"),
            ("title", "title"), ("tags", "tags"), ("messages this user might", "follow_ups"), ("follow-up", "follow_ups"),
        ]
        return "task:" + (kinds.first { headline.contains($0.0) }?.1 ?? "other")
    }
}

extension AgentService {
    /// Answers a task call as a plain model call: no tools, no planning, nothing stored in the
    /// conversation; its usage is recorded against the context (``UsageStore``). The events go to
    /// `output`; cancelling the returned task cancels the call.
    func answerTask(_ task: TaskCall, output: TurnOutput) -> Task<Void, Never> {
        Task {
            do {
                let request = ChatRequest(model: settings.model, messages: task.messages, sampling: task.sampling)
                var completion: ChatCompletion?
                for try await event in model.stream(request) {
                    switch event {
                    case .content(let piece): output.yield(.content(piece))
                    case .finished(let finished): completion = finished
                    }
                }
                try Task.checkCancellation()
                guard let completion else {
                    throw ModelError.invalidResponse(
                        endpoint: "chat/completions", reason: "the stream ended without a final chunk")
                }
                if let usage = completion.usage {
                    await recordTaskUsage(usage, for: task)
                    output.yield(.usage(usage))
                }
                output.yield(.finished(messageID: nil, finishReason: completion.finishReason ?? "stop"))
                output.finish(nil)
            } catch {
                output.finish(error)
            }
        }
    }

    private func recordTaskUsage(_ usage: TokenUsage, for task: TaskCall) async {
        guard let usageStore else { return }
        do {
            try await usageStore.record(
                UsageRecord(
                    contextID: task.context, conversationID: task.conversation, purpose: task.purpose, usage: usage,
                    createdAt: Date()))
        } catch {
            // The answer is already on its way; a lost usage row must not fail it.
            logger.error(
                "could not record the usage of a task call",
                metadata: ["context": "\(task.context)", "purpose": "\(task.purpose)", "error": "\(error)"])
        }
    }
}
