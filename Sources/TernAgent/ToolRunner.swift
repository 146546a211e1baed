import Foundation
import Logging
import TernCore

/// What every tool call of a turn shares: who it is for, the membership check, the event sink.
struct TurnScope: Sendable {
    let tool: ToolContext
    let access: ContextAccess
    let recorder: TurnRecorder
    /// The memories recalled for the user's message, given to every model call that answers it.
    var recalled: ChatMessage? = nil
}

/// Runs the tool calls a model or a plan step asks for, behind every guard: the toolbox (a
/// skill's ceiling included), JSON and schema validation, the context-membership check, human
/// approval, a timeout, and the output budget. Problems the model can act on come back as an
/// error result it sees; only cancellation is thrown.
struct ToolRunner: Sendable {
    let settings: AgentSettings
    let approvals: ApprovalCenter?
    let logger: Logger

    /// - Parameter parsed: the arguments already as a value (plan steps), so they are not
    ///   decoded again from `call.arguments`.
    func run(_ call: ToolCall, parsed: JSONValue? = nil, stepID: PlanStep.ID?, toolbox: Toolbox, scope: TurnScope)
        async throws -> ToolResultEvent
    {
        scope.recorder.emit(
            .toolCall(ToolCallEvent(callID: call.id, tool: call.name, arguments: call.arguments, stepID: stepID)))
        var result: ToolResultEvent
        do {
            let output = try await checkedCall(call, parsed: parsed, toolbox: toolbox, scope: scope)
            result = ToolResultEvent(callID: call.id, tool: call.name, output: output.text, isError: output.isError)
        } catch let error as CancellationError {
            throw error
        } catch {
            result = ToolResultEvent(callID: call.id, tool: call.name, output: "\(error)", isError: true)
        }
        result.stepID = stepID
        (result.output, result.truncated) = Self.truncate(result.output, budget: settings.toolOutputBudget)
        scope.recorder.emit(.toolResult(result))
        return result
    }

    private func checkedCall(_ call: ToolCall, parsed: JSONValue?, toolbox: Toolbox, scope: TurnScope) async throws
        -> ToolOutput
    {
        guard let tool = toolbox.offered[call.name] else {
            if let why = toolbox.refusal(of: call.name) {
                logger.warning(
                    "refused a tool call that was not offered",
                    metadata: [
                        "skill": "\(toolbox.ceilingOwner ?? "-")", "role": "\(toolbox.role?.rawValue ?? "-")",
                        "tool": "\(call.name)", "context": "\(scope.tool.contextID)",
                    ])
                throw ToolError.notAllowed(tool: call.name, reason: why)
            }
            throw ToolError.notAllowed(
                tool: call.name,
                reason: toolbox.isEmpty
                    ? "no tools are available here" : "no such tool here; available: \(toolbox.names.joined(separator: ", "))")
        }
        let input: JSONValue
        do {
            let text = parsed == nil ? call.arguments.trimmingCharacters(in: .whitespacesAndNewlines) : ""
            input = try parsed ?? (text.isEmpty ? .object([:]) : JSONValue(jsonText: text))
        } catch {
            throw ToolError.invalidInput(
                tool: call.name, violations: [SchemaViolation(path: "$", message: "arguments are not valid JSON")])
        }
        let violations = JSONSchemaValidator.violations(of: input, against: tool.spec.inputSchema)
        guard violations.isEmpty else { throw ToolError.invalidInput(tool: call.name, violations: violations) }
        try await scope.access.verify(tool.spec)

        if tool.spec.risk == .dangerous || settings.approvalRequired.contains(call.name) {
            guard let approvals else {
                throw ToolError.notAllowed(tool: call.name, reason: "it needs human approval, which is not available here")
            }
            let decision = try await approvals.requestDecision(
                tool: call.name, arguments: input.jsonText, scope: scope.tool, timeout: settings.approvalTimeout,
                recorder: scope.recorder)
            guard decision.status == .approved else {
                throw ToolError.notAllowed(
                    tool: call.name,
                    reason: "approval \(decision.id) \(decision.status.rawValue)"
                        + (decision.reason.map { ": \($0)" } ?? ""))
            }
        }
        return try await withTimeout(settings.toolTimeout, tool: call.name) {
            try await tool.call(input, in: scope.tool)
        }
    }

    private func withTimeout(
        _ limit: Duration, tool: String, _ body: @escaping @Sendable () async throws -> ToolOutput
    ) async throws -> ToolOutput {
        try await withTimeLimit(limit, orThrow: { ToolError.timedOut(tool: tool, after: limit) }, body)
    }

    /// Cuts `text` to `budget` characters and says so in a note the model reads.
    static func truncate(_ text: String, budget: Int) -> (String, Bool) {
        guard text.count > budget else { return (text, false) }
        let note = "\n[output truncated: \(text.count) characters, showing the first \(budget)]"
        return (String(text.prefix(budget)) + note, true)
    }
}
