import Foundation
import TernCore

/// Client tools (OpenAI `tools` in the request): offered next to the context's tools; a call
/// to one ends the turn with ``AgentEvent/clientToolCalls(_:)``, and the client's next request,
/// ending in `tool` messages, continues it.
extension AgentService {
    /// The client's tools, choice and sampling for a direct answer.
    func clientRequest(for turn: AgentTurn, toolbox: Toolbox, routing: [ToolDefinition]) throws(AgentError)
        -> ToolLoop.ClientRequest
    {
        let taken = Set(toolbox.names + routing.map(\.name))
        let tools = try ClientToolSet(turn.clientTools, choice: turn.toolChoice, taken: taken)
        return ToolLoop.ClientRequest(
            tools: tools, toolChoice: turn.toolChoice == ToolChoice.none ? nil : turn.toolChoice,
            sampling: turn.sampling)
    }

    /// Continues a turn that ended with client tool calls: stores the results, gives the model
    /// the whole round back (with Tern's own calls of that round, which the client never saw) and
    /// answers as a direct turn does.
    @inline(never)
    func continueAfterClientTools(_ turn: AgentTurn, recorder: TurnRecorder) async throws {
        let prior = try await promptHistory(for: turn)
        let round = try await storedRound(answering: turn.toolResults, in: turn)
        for result in turn.toolResults {
            let data = JSONValue.object(["tool_call_id": .string(result.toolCallID ?? "")]).jsonText
            _ = try await store.append(
                NewMessage(sessionID: turn.session, role: .tool, content: result.content ?? "", toolData: data),
                in: turn.context)
        }
        try Task.checkCancellation()

        var messages = withSystemPrompt(prior)
        if let round,
            let index = messages.lastIndex(where: { message in
                message.role == .assistant && !(message.toolCalls ?? []).isEmpty
                    && Set(message.toolCalls?.map(\.id) ?? []).isSubset(of: Set(round.calls.map(\.id)))
            })
        {
            // The client's copy of the round holds only its own calls, under its own names.
            messages.replaceSubrange(index..., with: round.modelMessages + messages[(index + 1)...])
        }
        messages += turn.toolResults

        let scope = makeScope(turn, recorder: recorder)
        let toolbox = try await loadToolbox(for: turn, scope: scope)
        let runner = ToolRunner(settings: settings, approvals: tooling?.approvals, logger: logger)
        let loop = ToolLoop(model: model, runner: runner)
        let client = try clientRequest(for: turn, toolbox: toolbox, routing: [])
        let outcome = try await loop.run(
            messages, model: settings.model, toolbox: toolbox, maxTurns: settings.maxToolTurns, stepID: nil,
            streamContent: true, client: client, scope: scope)
        try await finish(turn, recorder: recorder, outcome: outcome)
    }

    /// The stored round the results answer, if this session has it (it may not: a client can
    /// replay a thread from elsewhere; then its messages are used as they are).
    private func storedRound(answering results: [ChatMessage], in turn: AgentTurn) async throws -> ClientRound? {
        let ids = Set(results.compactMap(\.toolCallID))
        let recent = try await store.history(of: turn.session, in: turn.context, limit: 16)
        for message in recent.reversed() where message.role == .assistant {
            guard let round = ClientRound(toolData: message.toolData) else { continue }
            return ids.isSubset(of: Set(round.calls.map(\.id))) ? round : nil
        }
        return nil
    }
}
