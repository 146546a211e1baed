import Foundation
import Logging
import TernCore

/// Runs a plan to completion or to a clear error: each step is retried once (by the
/// executor), then the whole plan is re-planned with the failure as context (at most
/// ``AgentSettings/maxReplans`` times, with bounded backoff), reusing the outputs of steps the
/// new plan keeps unchanged.
struct StepSupervisor: Sendable {
    let settings: AgentSettings
    let model: any ModelProvider
    let logger: Logger
    /// Waits between replans; injected so tests need not wait.
    let sleep: @Sendable (Duration) async throws -> Void

    struct Result: Sendable {
        var plan: Plan
        var outputs: [PlanStep.ID: String]
    }

    func run(
        _ initial: Plan, input: String, toolbox: Toolbox, skills: [String: Skill], recorder: TurnRecorder,
        runStep: @escaping PlanExecutor.StepRunner
    ) async throws -> Result {
        let executor = PlanExecutor(limit: settings.maxParallelSteps, recorder: recorder, runStep: runStep)
        var plan = initial
        var reused: [PlanStep.ID: String] = [:]
        var replans = 0
        while true {
            recorder.emit(.plan(plan))
            let failure: PlanExecutor.StepFailure
            do {
                return Result(plan: plan, outputs: try await executor.execute(plan, reused: reused))
            } catch let caught as PlanExecutor.StepFailure {
                failure = caught
            }
            var reason = "step \"\(failure.step.id)\" (\(PlanExecutor.title(of: failure.step))) failed: \(failure.message)"
            var replanned: Plan?
            while replanned == nil {
                guard replans < settings.maxReplans else {
                    throw AgentError.planFailed(step: failure.step.id, message: failure.message, replans: replans)
                }
                replans += 1
                logger.warning("re-planning", metadata: ["attempt": "\(replans)", "reason": "\(reason)"])
                recorder.emit(.notice("\(reason); re-planning (\(replans) of \(settings.maxReplans))"))
                try await sleep(settings.backoff(beforeReplan: replans))
                do {
                    replanned = try await replan(
                        plan, failure: reason, outputs: failure.completed, input: input, toolbox: toolbox,
                        skills: skills, recorder: recorder)
                } catch let error as PlanError {
                    reason = "the re-planned plan is unusable: \(error)"
                }
            }
            if let replanned {
                reused = PlanExecutor.reusable(from: plan, outputs: failure.completed, in: replanned)
                plan = replanned
            }
        }
    }

    private func replan(
        _ plan: Plan, failure: String, outputs: [PlanStep.ID: String], input: String, toolbox: Toolbox,
        skills: [String: Skill], recorder: TurnRecorder
    ) async throws -> Plan {
        var context = "The user asked: \(input)\n\nThe plan that failed:\n\(plan.json.jsonText)\n\nFailure: \(failure)"
        if !outputs.isEmpty {
            context += "\n\nSteps that completed (keep a step unchanged, same id and fields, to reuse its output):"
            for id in outputs.keys.sorted() { context += "\n[\(id)] \(outputs[id] ?? "")" }
        }
        context += "\n\nReply with a new plan as one JSON object {\"goal\": ..., \"steps\": [...]} that works around the failure."
        let messages = [
            ChatMessage(role: .system, content: Router.replanPrompt(toolbox: toolbox, skills: skills)),
            ChatMessage(role: .user, content: context),
        ]
        let completion = try await model.complete(ChatRequest(model: settings.model, messages: messages, temperature: 0))
        recorder.add(completion.usage)
        let root: [String: JSONValue]
        switch JSONObjectExtractor.firstObject(in: completion.content) {
        case .found(let object): root = object["plan"]?.objectValue ?? object
        case .notFound: throw PlanError.noJSONObject
        case .invalid(let reason): throw PlanError.invalidJSON(reason: reason)
        }
        return try PlanParser.validate(root, knownTools: Set(toolbox.names), knownSkills: Set(skills.keys))
    }
}
