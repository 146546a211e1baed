import Foundation

/// A validated plan: what the planner model proposed, checked by ``PlanParser`` so the executor
/// can rely on its shape.
///
/// Invariants (guaranteed by ``PlanParser/parse(_:knownTools:knownSkills:)``): step ids are
/// non-empty and unique, every dependency names another step, the dependency graph has no
/// cycle, tool and skill names are known, and there is exactly one ``PlanStep/Kind/answer``
/// step, on which no other step depends.
///
/// The answer step is terminal: ``readySteps(completed:running:)`` and ``layers`` hold it back
/// until every other step has completed, whatever its own `depends_on` says, so it can compose
/// the reply from all outputs. Its position in `steps` does not matter.
package struct Plan: Sendable, Equatable {
    /// What the plan is for, in the planner's words (may be empty).
    package let goal: String
    /// The steps in the order the planner wrote them; ties in readiness keep this order.
    package let steps: [PlanStep]

    /// Builds a plan whose invariants the caller has already checked (``PlanParser`` and
    /// ``directAnswer(goal:input:)``).
    init(goal: String, steps: [PlanStep]) {
        self.goal = goal
        self.steps = steps
    }

    /// The one-step plan used when the planner's reply is unusable: answer directly.
    package static func directAnswer(goal: String, input: String? = nil) -> Plan {
        Plan(goal: goal, steps: [PlanStep(id: "answer", kind: .answer, input: input)])
    }

    /// The step with this id, if any.
    package func step(_ id: PlanStep.ID) -> PlanStep? {
        steps.first { $0.id == id }
    }

    /// The final step that composes the reply.
    package var answerStep: PlanStep {
        // The parser guarantees exactly one answer step; the fallback keeps this total.
        steps.first { $0.kind == .answer } ?? PlanStep(id: "answer", kind: .answer)
    }

    /// Steps that may start now: not completed, not running, and all of whose dependencies
    /// are in `completed`, in plan order. The answer step is ready only once every other step
    /// has completed. Empty when everything is completed (or when the caller is still waiting
    /// on `running` steps).
    package func readySteps(
        completed: Set<PlanStep.ID>, running: Set<PlanStep.ID> = []
    ) -> [PlanStep] {
        steps.filter { step in
            guard !completed.contains(step.id), !running.contains(step.id) else { return false }
            if step.kind == .answer {
                return steps.allSatisfy { $0.kind == .answer || completed.contains($0.id) }
            }
            return step.dependsOn.allSatisfy(completed.contains)
        }
    }

    /// The steps grouped into waves that can run concurrently: every step of a layer depends
    /// only on steps of earlier layers. The answer step is alone in the last layer.
    package var layers: [[PlanStep]] {
        var completed: Set<PlanStep.ID> = []
        var result: [[PlanStep]] = []
        while completed.count < steps.count {
            let ready = readySteps(completed: completed)
            // Cannot happen for a parsed plan (acyclic); guards against an endless loop.
            guard !ready.isEmpty else { break }
            result.append(ready)
            completed.formUnion(ready.map(\.id))
        }
        return result
    }

    /// The plan in the contract's JSON shape, for persisting and for `plan` events.
    package var json: JSONValue {
        .object(["goal": .string(goal), "steps": .array(steps.map(\.json))])
    }
}

/// One step of a ``Plan``.
package struct PlanStep: Sendable, Equatable, Identifiable {
    /// A step id as the planner wrote it.
    package typealias ID = String

    /// What a step does.
    package enum Kind: Sendable, Equatable {
        /// Call the named tool with ``PlanStep/args``.
        case tool(String)
        /// Run the named skill with ``PlanStep/input``.
        case skill(String)
        /// Compose the reply from the other steps' outputs.
        case answer

        /// The contract's name for the kind: `tool`, `skill` or `answer`.
        package var name: String {
            switch self {
            case .tool: "tool"
            case .skill: "skill"
            case .answer: "answer"
            }
        }
    }

    /// Unique within the plan.
    package var id: ID
    /// What the step does, with the tool or skill name.
    package var kind: Kind
    /// Tool arguments (empty when the planner gave none).
    package var args: [String: JSONValue]
    /// Free-text instruction for a skill or the answer step.
    package var input: String?
    /// Steps whose outputs this one needs, de-duplicated, in the planner's order.
    package var dependsOn: [ID]

    /// Builds a step; ``PlanParser`` is the usual source.
    package init(
        id: ID, kind: Kind, args: [String: JSONValue] = [:], input: String? = nil, dependsOn: [ID] = []
    ) {
        self.id = id
        self.kind = kind
        self.args = args
        self.input = input
        self.dependsOn = dependsOn
    }

    /// The step in the contract's JSON shape.
    package var json: JSONValue {
        var object: [String: JSONValue] = ["id": .string(id), "kind": .string(kind.name)]
        switch kind {
        case .tool(let name): object["tool"] = .string(name)
        case .skill(let name): object["skill"] = .string(name)
        case .answer: break
        }
        if !args.isEmpty { object["args"] = .object(args) }
        if let input { object["input"] = .string(input) }
        if !dependsOn.isEmpty { object["depends_on"] = .array(dependsOn.map(JSONValue.string)) }
        return .object(object)
    }
}
