import Foundation
import Synchronization
import TernCore

/// The one place a turn's events go: forwarded to the channel's stream and recorded, so the
/// assistant message can be stored with everything the agent did (plan, steps, tool calls and
/// results, approvals, usage). Safe to use from concurrent plan steps.
final class TurnRecorder: Sendable {
    private struct Trace: Sendable {
        var route: AgentRoute?
        var plans: [Plan] = []
        var steps: [StepEvent] = []
        var calls: [ToolCallEvent] = []
        var results: [ToolResultEvent] = []
        var approvals: [String: Approval] = [:]
        var notices: [String] = []
        var usage: TokenUsage?
        var answer = ""
        var clientRound: ClientRound?
    }

    private let output: TurnOutput
    private let trace = Mutex(Trace())

    init(_ output: TurnOutput) {
        self.output = output
    }

    /// Records `event` and passes it on. `usage` events are summed here and emitted once, at the
    /// end of the turn (``finish(messageID:finishReason:)``).
    func emit(_ event: AgentEvent) {
        trace.withLock { trace in
            switch event {
            case .content(let text): trace.answer += text
            case .usage(let usage): trace.usage = trace.usage.map { $0 + usage } ?? usage
            case .routed(let route): trace.route = route
            case .notice(let text): trace.notices.append(text)
            case .plan(let plan): trace.plans.append(plan)
            case .stepStarted: break
            case .stepFinished(let step): trace.steps.append(step)
            case .toolCall(let call): trace.calls.append(call)
            case .toolResult(let result): trace.results.append(result)
            case .approvalRequired(let approval), .approvalDecided(let approval):
                trace.approvals[approval.id.rawValue] = approval
            case .clientToolCalls, .finished: break
            }
        }
        if case .usage = event { return }
        output.yield(event)
    }

    /// Adds a model call's usage to the turn's total.
    func add(_ usage: TokenUsage?) {
        if let usage { emit(.usage(usage)) }
    }

    /// The answer text streamed so far.
    var answer: String { trace.withLock { $0.answer } }

    /// Records the round that ended the turn with client tool calls, stored with the answer so
    /// the continuation can give the model the whole round back.
    func recordClientRound(_ round: ClientRound) {
        trace.withLock { $0.clientRound = round }
        output.yield(.clientToolCalls(round.clientCalls))
    }

    /// The turn's summed usage.
    var usage: TokenUsage? { trace.withLock { $0.usage } }

    /// Emits the summed usage (if any) and `finished`.
    func finish(messageID: MessageID, finishReason: String) {
        if let usage { output.yield(.usage(usage)) }
        output.yield(.finished(messageID: messageID, finishReason: finishReason))
    }

    /// What the agent did, as JSON text for the message's `tool_data`; `nil` for a plain
    /// direct answer without tools (nothing worth storing).
    func toolData() -> String? {
        let trace = trace.withLock { $0 }
        guard trace.route != nil || !trace.calls.isEmpty || !trace.notices.isEmpty || trace.clientRound != nil
        else { return nil }
        let results = Dictionary(trace.results.map { ($0.callID, $0) }, uniquingKeysWith: { _, last in last })
        var object: [String: JSONValue] = [:]
        if let route = trace.route { object["route"] = .string(Self.name(of: route)) }
        if !trace.notices.isEmpty { object["notices"] = .array(trace.notices.map(JSONValue.string)) }
        if !trace.plans.isEmpty { object["plans"] = .array(trace.plans.map(\.json)) }
        if !trace.steps.isEmpty {
            object["steps"] = .array(trace.steps.map(Self.json))
        }
        if !trace.calls.isEmpty {
            object["tool_calls"] = .array(trace.calls.map { call in Self.json(call, result: results[call.callID]) })
        }
        if let round = trace.clientRound { object[ClientRound.key] = round.json }
        if !trace.approvals.isEmpty {
            object["approvals"] = .array(
                trace.approvals.values.sorted { $0.createdAt < $1.createdAt }.map { approval in
                    .object([
                        "id": .string(approval.id.rawValue), "tool": .string(approval.tool),
                        "status": .string(approval.status.rawValue),
                        "decided_by": approval.decidedBy.map { .string($0.rawValue) } ?? .null,
                    ])
                })
        }
        return JSONValue.object(object).jsonText
    }

    /// The steps that finished, for the agent API's `steps[]`.
    var finishedSteps: [StepEvent] { trace.withLock { $0.steps } }

    static func json(_ step: StepEvent) -> JSONValue {
        .object([
            "id": .string(step.stepID), "title": .string(step.title), "attempt": .number(Double(step.attempt)),
            "output": step.output.map(JSONValue.string) ?? .null,
            "error": step.error.map(JSONValue.string) ?? .null,
        ])
    }

    private static func json(_ call: ToolCallEvent, result: ToolResultEvent?) -> JSONValue {
        .object([
            "id": .string(call.callID), "tool": .string(call.tool), "arguments": .string(call.arguments),
            "step": call.stepID.map(JSONValue.string) ?? .null,
            "output": result.map { .string($0.output) } ?? .null,
            "is_error": result.map { .bool($0.isError) } ?? .null,
            "truncated": result.map { .bool($0.truncated) } ?? .null,
        ])
    }

    static func name(of route: AgentRoute) -> String {
        switch route {
        case .direct: "direct"
        case .plan: "plan"
        case .skill(let name): "skill:\(name)"
        case .fallback: "fallback"
        }
    }
}
