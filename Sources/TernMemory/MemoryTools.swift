import Foundation
package import TernCore

/// `remember`: stores a fact in the context's memory, for the agent and skills. Risk `write`
/// (it changes Tern's own data), so it is guarded and permissioned like every tool.
///
/// Input `{"text": "…"}`; output `{"id": "…", "remembered": "…"}`.
package struct RememberTool: Tool {
    /// The tool's name, `remember`.
    package static let name = "remember"
    /// The longest fact accepted.
    package static let maxCharacters = 4000

    /// Name, description, schema and risk.
    package let spec: ToolSpec
    let memory: MemoryService

    /// A tool that remembers into `memory`.
    package init(memory: MemoryService) throws(ToolError) {
        self.memory = memory
        spec = try ToolSpec(
            name: Self.name,
            description: "Stores a fact in this workspace's long-term memory so later conversations can recall it. "
                + "Use for durable facts, preferences and decisions the user wants kept; one fact per call.",
            inputSchema: MemoryToolSchema.object(
                ["text": MemoryToolSchema.text("The fact, as a self-contained sentence.", maxLength: Self.maxCharacters)],
                required: ["text"]),
            risk: .write)
    }

    /// Remembers the text in the caller's context.
    package func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        let text = input["text"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !text.isEmpty else { return .error("text is empty: give the fact to remember") }
        var metadata: [String: JSONValue] = ["user": .string(context.userID.rawValue)]
        if let conversation = context.conversationID { metadata["conversation"] = .string(conversation.rawValue) }
        let id = try await memory.remember(text, source: "tool:remember", metadata: .object(metadata), in: context.contextID)
        return .text(JSONValue.object(["id": .string(id.rawValue), "remembered": .string(text)]).jsonText)
    }
}

/// `recall`: searches the context's memory (facts and ingested documents) by keyword and
/// meaning, for the agent and skills. Risk `read`.
///
/// Input `{"query": "…", "k": 5}`; output a JSON array of `{"source", "text", "score"}`.
package struct RecallTool: Tool {
    /// The tool's name, `recall`.
    package static let name = "recall"

    /// Name, description, schema and risk.
    package let spec: ToolSpec
    let memory: MemoryService

    /// A tool that recalls from `memory`.
    package init(memory: MemoryService) throws(ToolError) {
        self.memory = memory
        spec = try ToolSpec(
            name: Self.name,
            description: "Searches this workspace's long-term memory (remembered facts and ingested documents) and "
                + "returns the best matches with their sources. Cite the source when you use a match.",
            inputSchema: MemoryToolSchema.object(
                [
                    "query": MemoryToolSchema.text("What to look for, in words.", maxLength: 2000),
                    "k": [
                        "type": "integer", "minimum": 1, "maximum": 20, "description": "How many matches at most; default 5.",
                    ],
                ], required: ["query"]),
            risk: .read)
    }

    /// The best matches in the caller's context.
    package func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        let query = input["query"]?.stringValue ?? ""
        var k = 5
        if case .number(let number)? = input["k"] { k = Int(number) }
        let hits = try await memory.recall(query, k: k, in: context.contextID)
        let items: [JSONValue] = hits.map { hit in
            .object([
                "source": .string(TurnMemory.source(of: hit.memory)), "text": .string(hit.memory.text),
                "score": .number((hit.score * 10_000).rounded() / 10_000),
            ])
        }
        return .text(JSONValue.array(items).jsonText)
    }
}

/// The JSON schemas of the memory tools' inputs.
enum MemoryToolSchema {
    /// A closed object schema.
    static func object(_ properties: [String: JSONValue], required: [String]) -> JSONValue {
        [
            "type": "object", "properties": .object(properties), "required": .array(required.map(JSONValue.string)),
            "additionalProperties": false,
        ]
    }

    /// A non-empty string of at most `maxLength` characters.
    static func text(_ description: String, maxLength: Int) -> JSONValue {
        ["type": "string", "minLength": 1, "maxLength": .number(Double(maxLength)), "description": .string(description)]
    }
}
