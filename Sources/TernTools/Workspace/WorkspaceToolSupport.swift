import Foundation
import TernCore

/// What the four workspace tools share: reading their input and turning workspace refusals into
/// outputs the model can see.
enum WorkspaceToolSupport {
    /// The schema of a `path` property.
    static func pathProperty(_ description: String) -> JSONValue {
        .object([
            "type": .string("string"),
            "minLength": .number(1),
            "maxLength": .number(Double(Workspace.maxPathBytes)),
            "description": .string(description),
        ])
    }

    /// The string member `key` of `input`; `defaultValue` when absent or null.
    /// - Throws: ``ToolError/invalidInput(tool:violations:)`` when the member is not a string, or
    ///   is missing without a default (callers normally validate against the schema first).
    static func string(
        _ key: String, of input: JSONValue, tool: String, default defaultValue: String? = nil
    ) throws(ToolError) -> String {
        switch input[key] {
        case .string(let value)?: return value
        case nil, .null?:
            if let defaultValue { return defaultValue }
            throw .invalidInput(tool: tool, violations: [SchemaViolation(path: "$.\(key)", message: "required")])
        case let value?:
            let violation = SchemaViolation(path: "$.\(key)", message: "expected string, got \(value.typeName)")
            throw .invalidInput(tool: tool, violations: [violation])
        }
    }

    /// The boolean member `key` of `input`; `defaultValue` when absent or null.
    /// - Throws: ``ToolError/invalidInput(tool:violations:)`` when the member is not a boolean.
    static func bool(_ key: String, of input: JSONValue, tool: String, default defaultValue: Bool) throws(ToolError)
        -> Bool
    {
        switch input[key] {
        case .bool(let value)?: return value
        case nil, .null?: return defaultValue
        case let value?:
            let violation = SchemaViolation(path: "$.\(key)", message: "expected boolean, got \(value.typeName)")
            throw .invalidInput(tool: tool, violations: [violation])
        }
    }

    /// `body`'s output; a ``WorkspaceError`` becomes an error output naming the rule, except
    /// cancellation, which is thrown as `CancellationError`.
    static func output(_ body: () async throws(WorkspaceError) -> ToolOutput) async throws -> ToolOutput {
        try Task.checkCancellation()
        do {
            return try await body()
        } catch .cancelled {
            throw CancellationError()
        } catch {
            return .error(error.description)
        }
    }
}
