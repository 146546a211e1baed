import Foundation

/// Why a planner reply is not a usable ``Plan``. Every case says where: the plan itself, a step
/// (by id, or by index when its id is unusable) and the field.
///
/// The agent falls back to a direct answer on any of these and emits the description.
package enum PlanError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The reply contains no `{…}` object at all.
    case noJSONObject
    /// An object was found but is not valid JSON (`reason` says how).
    case invalidJSON(reason: String)
    /// A required field is absent.
    case missingField(PlanLocation, field: String)
    /// A field has the wrong JSON type; `field` may be an element path like `depends_on[1]`.
    case wrongType(PlanLocation, field: String, expected: String, got: String)
    /// A string field that must say something is empty or only whitespace.
    case emptyValue(PlanLocation, field: String)
    /// `steps` is an empty array.
    case emptyPlan
    /// The step at `index` reuses the id of an earlier step.
    case duplicateStepID(String, index: Int)
    /// `kind` is not `tool`, `skill` or `answer`.
    case unknownKind(step: String, kind: String)
    /// A tool step names a tool that is not available.
    case unknownTool(step: String, tool: String)
    /// A skill step names a skill that is not available.
    case unknownSkill(step: String, skill: String)
    /// `depends_on` names a step that is not in the plan.
    case missingDependency(step: String, dependency: String)
    /// A step lists itself in `depends_on`.
    case selfDependency(step: String)
    /// A step depends on the answer step, which always runs last.
    case dependsOnAnswer(step: String, answer: String)
    /// The steps form a dependency cycle; each id depends on the next, the last on the first.
    /// Starts at the cycle's step that comes first in the plan.
    case cycle([String])
    /// No step has kind `answer`.
    case missingAnswerStep
    /// More than one step has kind `answer` (their ids, in plan order).
    case multipleAnswerSteps([String])

    /// A one-line message naming the step and field, fit for logs, events and the re-planner.
    package var description: String {
        switch self {
        case .noJSONObject:
            "plan: no JSON object found in the reply"
        case .invalidJSON(let reason):
            "plan: not valid JSON (\(reason))"
        case .missingField(let location, let field):
            "\(location), field \"\(field)\": missing"
        case .wrongType(let location, let field, let expected, let got):
            "\(location), field \"\(field)\": expected \(expected), got \(got)"
        case .emptyValue(let location, let field):
            "\(location), field \"\(field)\": must not be empty"
        case .emptyPlan:
            "plan, field \"steps\": the plan has no steps"
        case .duplicateStepID(let id, let index):
            "\(PlanLocation.stepIndex(index)), field \"id\": duplicate step id \"\(id)\""
        case .unknownKind(let step, let kind):
            "\(PlanLocation.step(step)), field \"kind\": unknown kind \"\(kind)\" "
                + "(expected tool, skill or answer)"
        case .unknownTool(let step, let tool):
            "\(PlanLocation.step(step)), field \"tool\": unknown tool \"\(tool)\""
        case .unknownSkill(let step, let skill):
            "\(PlanLocation.step(step)), field \"skill\": unknown skill \"\(skill)\""
        case .missingDependency(let step, let dependency):
            "\(PlanLocation.step(step)), field \"depends_on\": no step with id \"\(dependency)\""
        case .selfDependency(let step):
            "\(PlanLocation.step(step)), field \"depends_on\": a step cannot depend on itself"
        case .dependsOnAnswer(let step, let answer):
            "\(PlanLocation.step(step)), field \"depends_on\": cannot depend on the answer step "
                + "\"\(answer)\", which runs last"
        case .cycle(let ids):
            "plan, field \"depends_on\": dependency cycle "
                + (ids + ids.prefix(1)).map { "\"\($0)\"" }.joined(separator: " -> ")
        case .missingAnswerStep:
            "plan, field \"steps\": no step of kind \"answer\""
        case .multipleAnswerSteps(let ids):
            "plan, field \"steps\": only one step may be of kind \"answer\", found "
                + ids.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }
}

/// Where in a plan a ``PlanError`` was found.
package enum PlanLocation: Sendable, Equatable, CustomStringConvertible {
    /// The top-level object (`goal`, `steps`).
    case plan
    /// A step, by its id.
    case step(String)
    /// A step, by its zero-based index in `steps`, when its id is missing or unusable.
    case stepIndex(Int)

    /// `plan`, `step "fetch"` or `steps[2]`.
    package var description: String {
        switch self {
        case .plan: "plan"
        case .step(let id): "step \"\(id)\""
        case .stepIndex(let index): "steps[\(index)]"
        }
    }
}
