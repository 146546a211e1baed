import Foundation
package import TernCore

/// `write_file`: creates or replaces a file in the calling context's workspace.
package struct WriteFileTool: Tool {
    /// The tool's name.
    package static let name = "write_file"

    /// Name, description, schema and risk (`.write`: it changes Tern's own data).
    package let spec: ToolSpec
    private let workspace: Workspace

    /// A tool writing files of `workspace`.
    /// - Throws: never in practice; ``ToolError/invalidSpec(name:reason:)`` if the spec were bad.
    package init(workspace: Workspace) throws(ToolError) {
        self.workspace = workspace
        let schema: JSONValue = .object([
            "type": .string("object"),
            "properties": .object([
                "path": WorkspaceToolSupport.pathProperty("File relative to the workspace, e.g. \"notes/todo.md\"."),
                "content": .object([
                    "type": .string("string"),
                    "description": .string("The complete new content (UTF-8 text)."),
                ]),
                "create_directories": .object([
                    "type": .string("boolean"),
                    "description": .string("Create missing parent directories; default false."),
                ]),
            ]),
            "required": .array([.string("path"), .string("content")]),
            "additionalProperties": .bool(false),
        ])
        spec = try ToolSpec(
            name: Self.name,
            description: "Creates or replaces a text file in this conversation's workspace with the given "
                + "content (at most \(workspace.limits.maxWriteBytes) bytes). The replacement is atomic: "
                + "on failure the old content stays. Symbolic links are not followed or replaced.",
            inputSchema: schema, risk: .write)
    }

    /// `wrote N bytes to path`, or an error output naming the rule the path or content broke.
    /// - Throws: `CancellationError` when cancelled (the old content stays);
    ///   ``ToolError/invalidInput(tool:violations:)`` for missing or mistyped members (callers
    ///   normally validate first).
    package func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        let path = try WorkspaceToolSupport.string("path", of: input, tool: Self.name)
        let content = try WorkspaceToolSupport.string("content", of: input, tool: Self.name)
        let create = try WorkspaceToolSupport.bool("create_directories", of: input, tool: Self.name, default: false)
        return try await WorkspaceToolSupport.output { () throws(WorkspaceError) in
            let count = try await workspace.write(content, to: path, in: context.contextID, createDirectories: create)
            let shown = Workspace.display(try Workspace.components(of: path))
            return .text("wrote \(count) bytes to \(WorkspaceError.escaped(shown))")
        }
    }
}
