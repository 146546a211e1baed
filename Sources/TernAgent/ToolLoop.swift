import Foundation
import TernCore

/// The native tool-calling loop: offer the toolbox, run the calls the model asks for (several
/// in one round run concurrently), feed the results back, until the model answers without
/// calls or the round limit is hit.
struct ToolLoop: Sendable {
    let model: any ModelProvider
    let runner: ToolRunner

    struct Outcome: Sendable, Equatable {
        var content: String
        var finishReason: String
        /// The planning-tool call that ended the loop, when the model routed the turn.
        var routingCall: ToolCall?
        /// The round that ended the loop because it called client tools.
        var clientRound: ClientRound?
    }

    /// What the client asked for, in the loop of a direct answer.
    struct ClientRequest: Sendable {
        var tools: ClientToolSet
        /// For the first model call only: later rounds (after Tern's own tools) leave the
        /// choice to the model, or a forced tool would be called again and again.
        var toolChoice: ToolChoice?
        var sampling: SamplingParameters

        static let none = ClientRequest(
            tools: ClientToolSet.empty, toolChoice: nil, sampling: SamplingParameters())
    }

    /// - Parameters:
    ///   - streamContent: emit the model's text as `.content` (the user's answer) rather than
    ///     only returning it (a plan step's output).
    ///   - routing: planning tools (``Router``) offered in the first round only; a call to one
    ///     ends the loop with ``Outcome/routingCall``.
    @inline(never)
    func run(
        _ messages: [ChatMessage], model modelName: String, toolbox: Toolbox, maxTurns: Int, stepID: PlanStep.ID?,
        streamContent: Bool, routing: [ToolDefinition] = [], client: ClientRequest = .none, scope: TurnScope
    ) async throws -> Outcome {
        var messages = messages
        var content = ""
        var round = 0
        while true {
            let offered = toolbox.definitions + client.tools.offered + (round == 0 ? routing : [])
            let request = ChatRequest(
                model: modelName, messages: messages, sampling: client.sampling, tools: offered,
                toolChoice: round == 0 ? client.tools.modelChoice(client.toolChoice) : nil)
            var text = ""
            var finished: ChatCompletion?
            let separator = content.isEmpty ? "" : "\n\n"
            do {
                for try await event in model.stream(request) {
                    switch event {
                    case .content(let piece):
                        if streamContent { scope.recorder.emit(.content(text.isEmpty ? separator + piece : piece)) }
                        text += piece
                    case .finished(let completion):
                        finished = completion
                    }
                }
            } catch {
                // An answer that broke off (connection lost, client gone) still cost tokens; a cut
                // stream (`incomplete`) carries its own estimate, which the agent adds.
                if !text.isEmpty, !Self.carriesUsage(error) {
                    scope.recorder.add(TokenUsage.estimated(prompt: request.promptText, answer: text))
                }
                throw error
            }
            if Task.isCancelled, !text.isEmpty {
                scope.recorder.add(TokenUsage.estimated(prompt: request.promptText, answer: text))
            }
            // A cancelled turn's stream just ends; that is the user's doing, not the model's.
            try Task.checkCancellation()
            guard let completion = finished else {
                throw ModelError.invalidResponse(endpoint: "chat/completions", reason: "the stream ended without a final chunk")
            }
            if text.isEmpty, !completion.content.isEmpty {
                text = completion.content
                if streamContent { scope.recorder.emit(.content(separator + text)) }
            }
            scope.recorder.add(completion.usage)
            if !text.isEmpty { content += separator + text }
            guard !completion.toolCalls.isEmpty else {
                return Outcome(content: content, finishReason: completion.finishReason ?? "stop")
            }
            if round == 0, let call = completion.toolCalls.first(where: { call in routing.contains { $0.name == call.name } }) {
                return Outcome(content: content, finishReason: "tool_calls", routingCall: call)
            }
            guard round < maxTurns else {
                let note =
                    (content.isEmpty ? "" : "\n\n")
                    + "(Stopped: the model still wanted tools after \(maxTurns) rounds of tool calls, "
                    + "the limit for one answer.)"
                if streamContent { scope.recorder.emit(.content(note)) }
                return Outcome(content: content + note, finishReason: "length")
            }
            round += 1
            let calls = completion.toolCalls.enumerated().map { index, call in
                var call = call
                if call.id.isEmpty { call.id = "call_\(round)_\(index)" }
                return call
            }
            if calls.contains(where: { client.tools.isClient($0.name) }) {
                // The client runs its tools; Tern's calls of the same round run now, and the
                // whole round is kept so the continuation can hand it back to the model.
                let own = calls.filter { !client.tools.isClient($0.name) }
                let results = try await runConcurrently(own, stepID: stepID, toolbox: toolbox, scope: scope)
                let round = ClientRound(
                    content: text, calls: calls,
                    clientCalls: calls.filter { client.tools.isClient($0.name) }.map(client.tools.toClient),
                    ternResults: Dictionary(results.map { ($0.callID, $0.output) }, uniquingKeysWith: { first, _ in first }))
                return Outcome(content: content, finishReason: "tool_calls", clientRound: round)
            }
            messages.append(ChatMessage(role: .assistant, content: text.isEmpty ? nil : text, toolCalls: calls))
            let results = try await runConcurrently(calls, stepID: stepID, toolbox: toolbox, scope: scope)
            for result in results {
                messages.append(ChatMessage(role: .tool, content: result.output, toolCallID: result.callID))
            }
        }
    }

    private static func carriesUsage(_ error: any Error) -> Bool {
        if case ModelError.incomplete = error { return true }
        return false
    }

    private func runConcurrently(_ calls: [ToolCall], stepID: PlanStep.ID?, toolbox: Toolbox, scope: TurnScope)
        async throws -> [ToolResultEvent]
    {
        if calls.isEmpty { return [] }
        if calls.count == 1 {
            return [try await runner.run(calls[0], stepID: stepID, toolbox: toolbox, scope: scope)]
        }
        return try await withThrowingTaskGroup(of: (Int, ToolResultEvent).self) { group in
            for (index, call) in calls.enumerated() {
                group.addTask { (index, try await runner.run(call, stepID: stepID, toolbox: toolbox, scope: scope)) }
            }
            var results = [ToolResultEvent?](repeating: nil, count: calls.count)
            for try await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
    }
}
