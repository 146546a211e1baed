import Foundation

/// Turns a planner model's reply into a validated ``Plan`` (the contract in ARCHITECTURE.md).
///
/// Extraction is forgiving, validation is strict:
/// - The reply may wrap the JSON in prose or a code fence. The parser takes the first
///   top-level balanced `{…}` (braces inside JSON strings and escapes are respected) that is
///   valid JSON; a `{…}` in prose that is not JSON is skipped. A reply whose first object is
///   cut off (unbalanced) is ``PlanError/invalidJSON(reason:)``.
/// - Unknown keys are ignored. An optional field given as `null` counts as absent.
/// - Checks run in a fixed order and the first failure is thrown: the top level, then each
///   step in order (`id`, `kind`, field types, tool/skill name), then dependencies, the answer
///   step rule, and finally cycles.
/// - Exactly one step has kind `answer`; no step may depend on it. It may appear anywhere in
///   `steps` and runs last (see ``Plan``).
package enum PlanParser {
    /// Parses and validates a planner reply.
    /// - Parameters:
    ///   - text: the model's whole reply.
    ///   - knownTools: names of the tools this turn may use.
    ///   - knownSkills: names of the skills this turn may use.
    package static func parse(
        _ text: String, knownTools: Set<String>, knownSkills: Set<String>
    ) throws(PlanError) -> Plan {
        let root: [String: JSONValue]
        switch JSONObjectExtractor.firstObject(in: text) {
        case .found(let object): root = object
        case .notFound: throw .noJSONObject
        case .invalid(let reason): throw .invalidJSON(reason: reason)
        }
        return try validate(root, knownTools: knownTools, knownSkills: knownSkills)
    }

    /// Validates an already-decoded plan object (the second half of
    /// ``parse(_:knownTools:knownSkills:)``).
    package static func validate(
        _ root: [String: JSONValue], knownTools: Set<String>, knownSkills: Set<String>
    ) throws(PlanError) -> Plan {
        let goal = try requiredString(root, "goal", at: .plan, allowEmpty: true)
        guard let stepsValue = root["steps"] else { throw .missingField(.plan, field: "steps") }
        guard case .array(let rawSteps) = stepsValue else {
            throw .wrongType(.plan, field: "steps", expected: "array", got: stepsValue.typeName)
        }
        guard !rawSteps.isEmpty else { throw .emptyPlan }

        var steps: [PlanStep] = []
        var seen: Set<String> = []
        for (index, raw) in rawSteps.enumerated() {
            guard case .object(let object) = raw else {
                throw .wrongType(.plan, field: "steps[\(index)]", expected: "object", got: raw.typeName)
            }
            let id = try requiredString(object, "id", at: .stepIndex(index), allowEmpty: false)
            guard seen.insert(id).inserted else { throw .duplicateStepID(id, index: index) }
            steps.append(
                try parseStep(object, id: id, knownTools: knownTools, knownSkills: knownSkills))
        }

        let answers = steps.filter { $0.kind == .answer }.map(\.id)
        for step in steps {
            for dependency in step.dependsOn {
                if dependency == step.id { throw .selfDependency(step: step.id) }
                guard seen.contains(dependency) else {
                    throw .missingDependency(step: step.id, dependency: dependency)
                }
            }
        }
        guard let answer = answers.first else { throw .missingAnswerStep }
        guard answers.count == 1 else { throw .multipleAnswerSteps(answers) }
        if let dependent = steps.first(where: { $0.dependsOn.contains(answer) }) {
            throw .dependsOnAnswer(step: dependent.id, answer: answer)
        }
        if let cycle = findCycle(in: steps) { throw .cycle(cycle) }
        return Plan(goal: goal, steps: steps)
    }

    // MARK: - Steps

    private static func parseStep(
        _ object: [String: JSONValue], id: String, knownTools: Set<String>, knownSkills: Set<String>
    ) throws(PlanError) -> PlanStep {
        let location = PlanLocation.step(id)
        let kindName = try requiredString(object, "kind", at: location, allowEmpty: true)

        // Types of all optional fields are checked whatever the kind, so a wrong type is never
        // silently ignored.
        let toolName = try optionalString(object, "tool", at: location)
        let skillName = try optionalString(object, "skill", at: location)
        let input = try optionalString(object, "input", at: location)
        var args: [String: JSONValue] = [:]
        if let value = present(object, "args") {
            guard case .object(let members) = value else {
                throw .wrongType(location, field: "args", expected: "object", got: value.typeName)
            }
            args = members
        }
        let dependsOn = try dependencies(object, at: location)

        let kind: PlanStep.Kind
        switch kindName {
        case "tool":
            guard let toolName else { throw .missingField(location, field: "tool") }
            guard !isBlank(toolName) else { throw .emptyValue(location, field: "tool") }
            guard knownTools.contains(toolName) else { throw .unknownTool(step: id, tool: toolName) }
            kind = .tool(toolName)
        case "skill":
            guard let skillName else { throw .missingField(location, field: "skill") }
            guard !isBlank(skillName) else { throw .emptyValue(location, field: "skill") }
            guard knownSkills.contains(skillName) else {
                throw .unknownSkill(step: id, skill: skillName)
            }
            kind = .skill(skillName)
        case "answer":
            kind = .answer
        default:
            throw .unknownKind(step: id, kind: kindName)
        }
        return PlanStep(id: id, kind: kind, args: args, input: input, dependsOn: dependsOn)
    }

    private static func dependencies(
        _ object: [String: JSONValue], at location: PlanLocation
    ) throws(PlanError) -> [String] {
        guard let value = present(object, "depends_on") else { return [] }
        guard case .array(let elements) = value else {
            throw .wrongType(location, field: "depends_on", expected: "array of strings", got: value.typeName)
        }
        var result: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let id) = element else {
                throw .wrongType(
                    location, field: "depends_on[\(index)]", expected: "string", got: element.typeName)
            }
            if !result.contains(id) { result.append(id) }
        }
        return result
    }

    // MARK: - Fields

    /// The value of `key`, treating JSON `null` as absent.
    private static func present(_ object: [String: JSONValue], _ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    private static func requiredString(
        _ object: [String: JSONValue], _ key: String, at location: PlanLocation, allowEmpty: Bool
    ) throws(PlanError) -> String {
        guard let value = object[key] else { throw .missingField(location, field: key) }
        guard case .string(let string) = value else {
            throw .wrongType(location, field: key, expected: "string", got: value.typeName)
        }
        if !allowEmpty, isBlank(string) { throw .emptyValue(location, field: key) }
        return string
    }

    private static func optionalString(
        _ object: [String: JSONValue], _ key: String, at location: PlanLocation
    ) throws(PlanError) -> String? {
        guard let value = present(object, key) else { return nil }
        guard case .string(let string) = value else {
            throw .wrongType(location, field: key, expected: "string", got: value.typeName)
        }
        return string
    }

    private static func isBlank(_ string: String) -> Bool {
        string.allSatisfy(\.isWhitespace)
    }

    // MARK: - Cycles

    /// The first cycle found by a depth-first walk in plan order, rotated to start at the
    /// cycle's earliest step in the plan; `nil` if the graph is acyclic.
    private static func findCycle(in steps: [PlanStep]) -> [String]? {
        let order = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($1.id, $0) })
        let edges = Dictionary(uniqueKeysWithValues: steps.map { ($0.id, $0.dependsOn) })
        var done: Set<String> = []

        for start in steps.map(\.id) where !done.contains(start) {
            // Iterative DFS: the path and, per frame, the next dependency to visit.
            var path: [String] = [start]
            var next: [Int] = [0]
            var onPath: Set<String> = [start]
            while let node = path.last, let position = next.last {
                let dependencies = edges[node] ?? []
                guard position < dependencies.count else {
                    done.insert(node)
                    onPath.remove(node)
                    path.removeLast()
                    next.removeLast()
                    continue
                }
                next[next.count - 1] += 1
                let dependency = dependencies[position]
                if onPath.contains(dependency) {
                    guard let from = path.firstIndex(of: dependency) else { continue }
                    let cycle = Array(path[from...])
                    let first = cycle.indices.min { order[cycle[$0], default: 0] < order[cycle[$1], default: 0] } ?? 0
                    return Array(cycle[first...] + cycle[..<first])
                }
                if !done.contains(dependency) {
                    path.append(dependency)
                    next.append(0)
                    onPath.insert(dependency)
                }
            }
        }
        return nil
    }
}
