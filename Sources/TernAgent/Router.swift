import Foundation
import Logging
import TernCore

/// One model call that decides how a turn is handled: a direct answer, a plan, or a skill.
/// Extraction is forgiving (code fences, prose around the JSON); anything unusable becomes a
/// direct answer with the reason, which the agent logs and emits.
struct Router: Sendable {
    enum Decision: Sendable, Equatable {
        case direct
        case plan(Plan)
        case skill(Skill, input: String)
        case fallback(reason: String)
    }

    let model: any ModelProvider
    let modelName: String

    func decide(
        history: [ChatMessage], input: String, toolbox: Toolbox, skills: [String: Skill], recorder: TurnRecorder
    ) async throws -> Decision {
        var messages = [ChatMessage(role: .system, content: Self.prompt(toolbox: toolbox, skills: skills))]
        messages += history.filter { $0.role != .system }
        messages.append(ChatMessage(role: .user, content: input))
        let completion = try await model.complete(ChatRequest(model: modelName, messages: messages, temperature: 0))
        recorder.add(completion.usage)
        return Self.parse(completion.content, toolbox: toolbox, skills: skills, input: input)
    }

    /// Turns the router's reply into a decision.
    static func parse(_ reply: String, toolbox: Toolbox, skills: [String: Skill], input: String) -> Decision {
        let object: [String: JSONValue]
        switch JSONObjectExtractor.firstObject(in: reply) {
        case .found(let found): object = found
        case .notFound: return .fallback(reason: "the router's reply has no JSON object")
        case .invalid(let reason): return .fallback(reason: "the router's reply is not valid JSON (\(reason))")
        }
        let route = object["route"]?.stringValue?.lowercased()
        switch route {
        case "direct", "answer":
            return .direct
        case "skill":
            guard let name = object["skill"]?.stringValue, !name.isEmpty else {
                return .fallback(reason: "route \"skill\" without a \"skill\" name")
            }
            guard let skill = skills[name] else { return .fallback(reason: "route names unknown skill \"\(name)\"") }
            let skillInput = object["input"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? input
            return .skill(skill, input: skillInput)
        case "plan", nil:
            let planObject = object["plan"]?.objectValue ?? (object["steps"] != nil ? object : nil)
            guard let planObject else {
                return .fallback(reason: route == nil ? "the reply names no route" : "route \"plan\" without a plan")
            }
            do {
                return .plan(
                    try PlanParser.validate(planObject, knownTools: Set(toolbox.names), knownSkills: Set(skills.keys)))
            } catch {
                return .fallback(reason: error.description)
            }
        case let other?:
            return .fallback(reason: "unknown route \"\(other)\"")
        }
    }

    static func prompt(toolbox: Toolbox, skills: [String: Skill]) -> String {
        var text = """
            You decide how an assistant handles the user's last message. Reply with exactly one JSON \
            object and nothing else:
            - {"route": "direct"} to answer directly (tools below can still be called while answering);
            - {"route": "skill", "skill": "<name>", "input": "<what the skill should do>"} when one skill fits;
            - {"route": "plan", "plan": {"goal": "...", "steps": [...]}} when the work needs several steps.
            A step is {"id": "s1", "kind": "tool"|"skill"|"answer", "tool": "<name>", "skill": "<name>", \
            "args": {...}, "input": "...", "depends_on": ["<id>", ...]}. Steps without dependencies between \
            them run in parallel. A tool step's string args may use {{<id>}} for a dependency's output. \
            Exactly one step has kind "answer"; it runs last and writes the reply from all outputs.
            Prefer "direct" unless a plan clearly helps.
            """
        if !toolbox.isEmpty {
            text += "\n\nTools:"
            for name in toolbox.names {
                guard let spec = toolbox.offered[name]?.spec else { continue }
                text += "\n- \(name): \(spec.description) Input schema: \(spec.inputSchema.jsonText)"
            }
        }
        if !skills.isEmpty {
            text += "\n\nSkills:"
            for name in skills.keys.sorted() {
                text += "\n- \(name): \(skills[name]?.description ?? "")"
            }
        }
        return text
    }
}
