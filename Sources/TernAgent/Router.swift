import Foundation
import TernCore

/// Decides how a turn is handled — direct answer, plan, or skill — inside the turn's first
/// model call: next to the context's tools the model is offered two planning tools,
/// `tern_plan` (arguments: a plan) and `tern_skill` (a skill name and its input). Answering
/// directly costs no extra round trip; calling one of them routes the turn. Their arguments
/// are read forgivingly (code fences, prose around the JSON); anything unusable becomes a
/// direct answer with the reason, which the agent logs and emits.
enum Router {
    enum Decision: Sendable, Equatable {
        case plan(Plan)
        case skill(Skill, input: String)
        case fallback(reason: String)
    }

    /// The planning tool's name; `tern_` names are reserved for Tern's own tools.
    static let planTool = "tern_plan"
    /// The skill tool's name.
    static let skillTool = "tern_skill"

    /// Whether `name` is reserved for the planning tools.
    static func isReserved(_ name: String) -> Bool { name.hasPrefix("tern_") }

    /// The planning tools to offer: `tern_plan` when there is anything to plan with,
    /// `tern_skill` when the context has skills.
    static func definitions(toolbox: Toolbox, skills: [String: Skill]) -> [ToolDefinition] {
        var definitions: [ToolDefinition] = []
        if !toolbox.isEmpty || !skills.isEmpty {
            definitions.append(
                ToolDefinition(
                    name: planTool,
                    description: """
                        Run a multi-step plan instead of answering directly; use it only when the request needs \
                        several tool or skill steps. Steps without dependencies between them run in parallel. \
                        A step is {"id": "s1", "kind": "tool"|"skill"|"answer", "tool": "<tool name>", \
                        "skill": "<skill name>", "args": {...}, "input": "...", "depends_on": ["<id>"]}. \
                        A tool step's string args may contain {{<id>}} for a dependency's output. Exactly one \
                        step has kind "answer"; it runs last and writes the reply from all outputs.
                        """,
                    parameters: [
                        "type": "object", "required": ["goal", "steps"],
                        "properties": [
                            "goal": ["type": "string"],
                            "steps": ["type": "array", "items": ["type": "object"]],
                        ],
                    ]))
        }
        if !skills.isEmpty {
            let index = skills.keys.sorted().map { "\($0): \(skills[$0]?.description ?? "")" }
            definitions.append(
                ToolDefinition(
                    name: skillTool,
                    description: "Hand the request to a skill. Skills: " + index.joined(separator: "; "),
                    parameters: [
                        "type": "object", "required": ["skill"],
                        "properties": [
                            "skill": ["type": "string", "enum": .array(skills.keys.sorted().map(JSONValue.string))],
                            "input": ["type": "string", "description": "what the skill should do"],
                        ],
                    ]))
        }
        return definitions
    }

    /// Reads a call of one of the planning tools.
    static func decide(_ call: ToolCall, toolbox: Toolbox, skills: [String: Skill], input: String) -> Decision {
        let object: [String: JSONValue]
        switch JSONObjectExtractor.firstObject(in: call.arguments) {
        case .found(let found): object = found
        case .notFound: return .fallback(reason: "\(call.name) was called without a JSON object")
        case .invalid(let reason): return .fallback(reason: "\(call.name) arguments are not valid JSON (\(reason))")
        }
        if call.name == skillTool {
            guard let name = object["skill"]?.stringValue, !name.isEmpty else {
                return .fallback(reason: "\(skillTool) without a \"skill\" name")
            }
            guard let skill = skills[name] else { return .fallback(reason: "\(skillTool) names unknown skill \"\(name)\"") }
            let skillInput = object["input"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? input
            return .skill(skill, input: skillInput)
        }
        // Some models wrap the plan: {"plan": {...}}.
        let root = object["plan"]?.objectValue ?? object
        do {
            return .plan(try PlanParser.validate(root, knownTools: Set(toolbox.names), knownSkills: Set(skills.keys)))
        } catch {
            return .fallback(reason: error.description)
        }
    }

    /// The system prompt of a re-plan: the tools and skills there are, and the plan contract.
    static func replanPrompt(toolbox: Toolbox, skills: [String: Skill]) -> String {
        var text = "You repair plans. " + (definitions(toolbox: toolbox, skills: skills).first?.description ?? "")
        if !toolbox.isEmpty {
            text += "\n\nTools:"
            for name in toolbox.names {
                guard let spec = toolbox.offered[name]?.spec else { continue }
                text += "\n- \(name): \(spec.description) Input schema: \(spec.inputSchema.jsonText)"
            }
        }
        if !skills.isEmpty {
            text += "\n\nSkills:"
            for name in skills.keys.sorted() { text += "\n- \(name): \(skills[name]?.description ?? "")" }
        }
        return text
    }
}
