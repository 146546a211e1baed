import Foundation

/// A capability the agent can call: a built-in, an MCP server's tool, or a test double.
///
/// Callers validate input against ``ToolSpec/inputSchema`` before calling (see
/// ``Tool/validatedCall(_:in:)``), so an implementation may assume a schema-shaped input.
/// A tool that fails in a way the model should see (bad city name, 404) returns a
/// ``ToolOutput`` with `isError`; it throws ``ToolError`` (or any error) when the call itself
/// could not be made.
package protocol Tool: Sendable {
    /// Name, description, input schema and risk.
    var spec: ToolSpec { get }
    /// Runs the tool. Must honour task cancellation.
    func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput
}

extension Tool {
    /// Validates `input` against the spec's schema, then calls the tool.
    /// - Throws: ``ToolError/invalidInput(tool:violations:)`` listing every violation, without
    ///   calling the tool; otherwise whatever ``call(_:in:)`` throws.
    package func validatedCall(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        let violations = JSONSchemaValidator.violations(of: input, against: spec.inputSchema)
        guard violations.isEmpty else {
            throw ToolError.invalidInput(tool: spec.name, violations: violations)
        }
        return try await call(input, in: context)
    }
}

/// How much harm a tool can do; drives approvals. Ordered from least to most risky.
package enum ToolRisk: String, Sendable, Codable, CaseIterable, Comparable {
    /// Reads data, changes nothing (clock, calculator, search).
    case read
    /// Changes Tern's own data (memory, notes).
    case write
    /// Acts outside Tern (sends a message, calls a third-party API with side effects).
    case external
    /// Could cause serious or irreversible harm (shell, deleting files); needs human approval.
    case dangerous

    /// `read < write < external < dangerous`, so a policy can say "at least `external`".
    package static func < (lhs: ToolRisk, rhs: ToolRisk) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// What the model is told about a tool, and how risky it is.
package struct ToolSpec: Sendable, Equatable {
    /// Matches ``ToolSpec/isValidName(_:)``; unique in a registry.
    package let name: String
    /// What the tool does, for the model.
    package let description: String
    /// JSON Schema of the input; always an object schema (see ``JSONSchemaValidator``).
    package let inputSchema: JSONValue
    /// Drives approvals.
    package let risk: ToolRisk

    /// Builds a spec.
    /// - Throws: ``ToolError/invalidSpec(name:reason:)`` if the name does not match
    ///   `^[a-zA-Z0-9_-]{1,64}$`, or the schema is not a JSON object whose `type` (if given) is
    ///   `"object"`.
    package init(
        name: String, description: String, inputSchema: JSONValue = .object(["type": .string("object")]),
        risk: ToolRisk
    ) throws(ToolError) {
        guard Self.isValidName(name) else {
            throw .invalidSpec(name: name, reason: "name must match ^[a-zA-Z0-9_-]{1,64}$")
        }
        guard case .object(let schema) = inputSchema else {
            throw .invalidSpec(name: name, reason: "input schema must be a JSON object")
        }
        if let type = schema["type"], type != .string("object") {
            throw .invalidSpec(name: name, reason: "input schema must have type \"object\"")
        }
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
        self.risk = risk
    }

    /// Whether `name` matches `^[a-zA-Z0-9_-]{1,64}$` (ASCII only), as OpenAI requires.
    package static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy(isNameByte)
    }

    /// Whether `byte` is an ASCII letter, digit, `_` or `-`.
    package static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// The spec as offered to a chat model.
    package var definition: ToolDefinition {
        ToolDefinition(name: name, description: description, parameters: inputSchema)
    }
}

/// Who a tool call is for. Tools must not reach data outside ``contextID``.
package struct ToolContext: Sendable, Equatable {
    /// The tenant the call runs in.
    package var contextID: ContextID
    /// The user whose turn this is.
    package var userID: UserID
    /// The conversation, when the call is part of one (not for scheduled jobs).
    package var conversationID: ConversationID?

    /// Builds a context.
    package init(contextID: ContextID, userID: UserID, conversationID: ConversationID? = nil) {
        self.contextID = contextID
        self.userID = userID
        self.conversationID = conversationID
    }
}

/// What a tool returns to the model.
package struct ToolOutput: Sendable, Equatable {
    /// The result as text (JSON text when structured).
    package var text: String
    /// The tool ran but reports a failure the model should see and may work around.
    package var isError: Bool

    /// Builds an output.
    package init(text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }

    /// A successful result.
    package static func text(_ text: String) -> ToolOutput { ToolOutput(text: text) }

    /// A failure reported to the model.
    package static func error(_ text: String) -> ToolOutput { ToolOutput(text: text, isError: true) }
}

/// Why a tool could not be registered or called.
package enum ToolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A spec is unusable (bad name or schema).
    case invalidSpec(name: String, reason: String)
    /// No tool with this name is registered.
    case unknownTool(String)
    /// The input does not match the schema; every violation names its JSON path.
    case invalidInput(tool: String, violations: [SchemaViolation])
    /// Policy refused the call (permissions, skill ceiling, approval denied).
    case notAllowed(tool: String, reason: String)
    /// The tool ran and failed.
    case failed(tool: String, message: String)
    /// The tool did not finish in time.
    case timedOut(tool: String, after: Duration)

    /// A one-line message, fit to send back to the model.
    package var description: String {
        switch self {
        case .invalidSpec(let name, let reason):
            "tool \"\(name)\": invalid spec: \(reason)"
        case .unknownTool(let name):
            "tool \"\(name)\": no such tool"
        case .invalidInput(let tool, let violations):
            "tool \"\(tool)\": invalid input: "
                + violations.map(\.description).joined(separator: "; ")
        case .notAllowed(let tool, let reason):
            "tool \"\(tool)\": not allowed: \(reason)"
        case .failed(let tool, let message):
            "tool \"\(tool)\": failed: \(message)"
        case .timedOut(let tool, let after):
            "tool \"\(tool)\": timed out after \(after.shortDescription)"
        }
    }

}

/// Where the agent gets the tools a context may see: built-ins, MCP servers' tools.
/// Permissions and skill ceilings are applied by the agent on top.
package protocol ToolSource: Sendable {
    /// The tools this source offers to `context`.
    func tools(for context: ContextID) async throws -> [any Tool]
}

extension Duration {
    /// `30s`, or `1500ms` when not a whole number of seconds; for messages.
    package var shortDescription: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(seconds)s" : "\(milliseconds)ms"
    }

    /// The duration in seconds, as a `TimeInterval`.
    package var timeInterval: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
