import Foundation
import Logging
import TernCore

/// Runs a plan's steps as a DAG: every step whose dependencies are done starts at once (in a
/// task group, at most ``limit`` at a time); a step sees its dependencies' outputs. A failed
/// step is retried once; a second failure cancels the running steps and ends the run with
/// ``StepFailure``, which the supervisor turns into a replan. The answer step is not run here.
struct PlanExecutor: Sendable {
    /// Runs one attempt of a non-answer step, given its dependencies' outputs (by step id).
    typealias StepRunner =
        @Sendable (_ step: PlanStep, _ inputs: [(PlanStep.ID, String)], _ attempt: Int)
        async throws -> String

    /// A step failed twice; what had completed is kept for reuse by the next plan.
    struct StepFailure: Error, Sendable {
        var step: PlanStep
        var message: String
        var completed: [PlanStep.ID: String]
    }

    let limit: Int
    let recorder: TurnRecorder
    let runStep: StepRunner

    /// Runs every step but the answer step. `reused` outputs count as completed from the start.
    /// - Returns: the outputs of all non-answer steps by id.
    func execute(_ plan: Plan, reused: [PlanStep.ID: String] = [:]) async throws -> [PlanStep.ID: String] {
        var completed = reused
        var done = Set(reused.keys)  // kept beside `completed`, not rebuilt for every step
        try await withThrowingTaskGroup(of: (PlanStep.ID, Result<String, StepFailure>?).self) { group in
            var running: Set<PlanStep.ID> = []
            while true {
                let ready = plan.readySteps(completed: done, running: running)
                    .filter { $0.kind != .answer }
                for step in ready.prefix(max(limit - running.count, 0)) {
                    running.insert(step.id)
                    let inputs = step.dependsOn.map { ($0, completed[$0] ?? "") }
                    group.addTask { (step.id, await attempt(step, inputs: inputs)) }
                }
                guard let (id, result) = try await group.next() else { return }
                running.remove(id)
                switch result {
                case nil:
                    throw CancellationError()
                case .success(let output)?:
                    completed[id] = output
                    done.insert(id)
                case .failure(var failure)?:
                    failure.completed = completed
                    throw failure  // leaving the group cancels the steps still running
                }
            }
        }
        return completed
    }

    /// Two attempts at most; cancellation is not a failure: it ends the step at once (`nil`).
    private func attempt(_ step: PlanStep, inputs: [(PlanStep.ID, String)]) async -> Result<String, StepFailure>? {
        var message = ""
        for attempt in 1...2 {
            if Task.isCancelled { return nil }
            recorder.emit(.stepStarted(StepEvent(stepID: step.id, title: Self.title(of: step), attempt: attempt)))
            do {
                let output = try await runStep(step, inputs, attempt)
                recorder.emit(
                    .stepFinished(StepEvent(stepID: step.id, title: Self.title(of: step), attempt: attempt, output: output)))
                return .success(output)
            } catch is CancellationError {
                return nil
            } catch {
                message = "\(error)"
                recorder.emit(
                    .stepFinished(StepEvent(stepID: step.id, title: Self.title(of: step), attempt: attempt, error: message)))
            }
        }
        return .failure(StepFailure(step: step, message: message, completed: [:]))
    }

    /// `tool clock`, `skill summarize`, `answer`.
    static func title(of step: PlanStep) -> String {
        switch step.kind {
        case .tool(let name): "tool \(name)"
        case .skill(let name): "skill \(name)"
        case .answer: "answer"
        }
    }

    /// Outputs of `previous` steps that `plan` repeats unchanged (same id and definition, and
    /// all of its dependencies reused too), so a replan does not redo finished work.
    static func reusable(from previous: Plan, outputs: [PlanStep.ID: String], in plan: Plan) -> [PlanStep.ID: String] {
        var reused: [PlanStep.ID: String] = [:]
        for layer in plan.layers {
            for step in layer where step.kind != .answer {
                guard let output = outputs[step.id], previous.step(step.id) == step,
                    step.dependsOn.allSatisfy({ reused[$0] != nil })
                else { continue }
                reused[step.id] = output
            }
        }
        return reused
    }
}
