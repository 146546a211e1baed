import Foundation
import TernCore

extension AgentService {
    /// Runs the plan under the supervisor, then the answer step, which streams the reply.
    @inline(never)
    func runPlan(
        _ plan: Plan, turn: AgentTurn, history: [ChatMessage], toolbox: Toolbox, skills: [String: Skill],
        loop: ToolLoop, runner: ToolRunner, scope: TurnScope
    ) async throws -> ToolLoop.Outcome {
        let supervisor = StepSupervisor(settings: settings, model: model, logger: logger, sleep: sleep)
        let result = try await supervisor.run(
            plan, input: turn.input, toolbox: toolbox, skills: skills, recorder: scope.recorder
        ) { step, inputs, attempt in
            switch step.kind {
            case .tool(let name):
                let arguments = JSONValue.object(step.args.mapValues { Self.substitute($0, inputs) })
                let result = try await runner.run(
                    ToolCall(id: "\(step.id)-\(attempt)", name: name, arguments: arguments.jsonText), parsed: arguments,
                    stepID: step.id, toolbox: toolbox, scope: scope)
                if result.isError { throw ToolError.failed(tool: name, message: result.output) }
                return result.output
            case .skill(let name):
                guard let skill = skills[name] else { throw ToolError.unknownTool(name) }
                var input = step.input ?? turn.input
                for (id, output) in inputs { input += "\n\n[output of step \(id)]\n\(output)" }
                return try await runSkill(
                    skill, input: input, history: [], toolbox: toolbox, stepID: step.id, streamContent: false,
                    loop: loop, scope: scope
                ).content
            case .answer:
                return ""
            }
        }
        let answer = result.plan.answerStep
        scope.recorder.emit(.stepStarted(StepEvent(stepID: answer.id, title: "answer", attempt: 1)))
        var results = "Results of the steps run for the user's request (goal: \(result.plan.goal)):"
        for step in result.plan.steps where step.kind != .answer {
            results += "\n\n[\(step.id): \(PlanExecutor.title(of: step))]\n\(result.outputs[step.id] ?? "")"
        }
        results += "\n\nWrite the reply to the user from these results."
        if let instruction = answer.input, !instruction.isEmpty { results += " \(instruction)" }
        var messages = baseMessages(history: history, input: turn.input, memory: scope.recalled)
        messages.append(ChatMessage(role: .system, content: results))
        let outcome = try await loop.run(
            messages, model: settings.model, toolbox: Toolbox(context: [:]), maxTurns: 0, stepID: answer.id,
            streamContent: true, scope: scope)
        scope.recorder.emit(.stepFinished(StepEvent(stepID: answer.id, title: "answer", attempt: 1, output: outcome.content)))
        return outcome
    }

    /// Replaces `{{id}}` in string arguments with dependency outputs.
    static func substitute(_ value: JSONValue, _ inputs: [(PlanStep.ID, String)]) -> JSONValue {
        switch value {
        case .string(var text):
            for (id, output) in inputs { text = text.replacingOccurrences(of: "{{\(id)}}", with: output) }
            return .string(text)
        case .array(let items): return .array(items.map { substitute($0, inputs) })
        case .object(let members): return .object(members.mapValues { substitute($0, inputs) })
        default: return value
        }
    }
}
