import Foundation
package import TernCore

/// `read_file`: the text of a file in the calling context's workspace.
package struct ReadFileTool: Tool {
    /// The tool's name.
    package static let name = "read_file"

    /// Name, description, schema and risk (`.read`).
    package let spec: ToolSpec
    private let workspace: Workspace

    /// A tool reading files of `workspace`.
    /// - Throws: never in practice; ``ToolError/invalidSpec(name:reason:)`` if the spec were bad.
    package init(workspace: Workspace) throws(ToolError) {
        self.workspace = workspace
        let schema: JSONValue = .object([
            "type": .string("object"),
            "properties": .object([
                "path": WorkspaceToolSupport.pathProperty("File relative to the workspace, e.g. \"notes/todo.md\".")
            ]),
            "required": .array([.string("path")]),
            "additionalProperties": .bool(false),
        ])
        spec = try ToolSpec(
            name: Self.name,
            description: "Returns the UTF-8 text of a file in this conversation's workspace (at most "
                + "\(workspace.limits.maxReadBytes) bytes; for larger files use search_files). "
                + "Symbolic links are not followed.",
            inputSchema: schema, risk: .read)
    }

    /// The file's text, or an error output naming the rule the path or file broke.
    /// - Throws: `CancellationError` when cancelled; ``ToolError/invalidInput(tool:violations:)``
    ///   for a missing or non-string `path` (callers normally validate first).
    package func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        let path = try WorkspaceToolSupport.string("path", of: input, tool: Self.name)
        return try await WorkspaceToolSupport.output { () throws(WorkspaceError) in
            let text = try await workspace.read(path, in: context.contextID)
            return .text(text.isEmpty ? "(\"\(WorkspaceError.escaped(path))\" is empty)" : text)
        }
    }
}
