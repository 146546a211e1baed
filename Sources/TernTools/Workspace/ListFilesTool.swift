import Foundation
package import TernCore

/// `list_files`: the entries of a directory in the calling context's workspace.
package struct ListFilesTool: Tool {
    /// The tool's name.
    package static let name = "list_files"

    /// Name, description, schema and risk (`.read`).
    package let spec: ToolSpec
    private let workspace: Workspace

    /// A tool listing directories of `workspace`.
    /// - Throws: never in practice; ``ToolError/invalidSpec(name:reason:)`` if the spec were bad.
    package init(workspace: Workspace) throws(ToolError) {
        self.workspace = workspace
        let schema: JSONValue = .object([
            "type": .string("object"),
            "properties": .object([
                "path": WorkspaceToolSupport.pathProperty(
                    "Directory relative to the workspace; default \".\" (the workspace itself).")
            ]),
            "additionalProperties": .bool(false),
        ])
        spec = try ToolSpec(
            name: Self.name,
            description: "Lists a directory of this conversation's workspace: each entry with its type "
                + "(file with size, directory, symbolic link, other) sorted by name, at most "
                + "\(workspace.limits.maxListEntries) entries. Links are shown but never followed.",
            inputSchema: schema, risk: .read)
    }

    /// One line per entry, or an error output naming the rule a path broke.
    /// - Throws: `CancellationError` when cancelled; ``ToolError/invalidInput(tool:violations:)``
    ///   for a non-string `path` (callers normally validate first).
    package func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        let path = try WorkspaceToolSupport.string("path", of: input, tool: Self.name, default: ".")
        return try await WorkspaceToolSupport.output { () throws(WorkspaceError) in
            .text(Self.render(try await workspace.list(path, in: context.contextID), limit: workspace.limits))
        }
    }

    /// `"dir" (3 entries):` then `name/ (directory)`, `name (file, N bytes)`, … and a note when
    /// the listing was cut.
    static func render(_ listing: WorkspaceListing, limit: WorkspaceLimits) -> String {
        let path = WorkspaceError.escaped(listing.path)
        guard listing.total > 0 else { return "\"\(path)\" is empty" }
        var lines = ["\"\(path)\" (\(listing.total) \(listing.total == 1 ? "entry" : "entries")):"]
        for entry in listing.entries {
            let name = WorkspaceError.escaped(entry.name)
            switch entry.kind {
            case .file: lines.append("\(name) (file, \(entry.size ?? 0) bytes)")
            case .directory: lines.append("\(name)/ (directory)")
            case .symlink: lines.append("\(name) (symbolic link; not followed)")
            case .other: lines.append("\(name) (FIFO, socket or device; skipped)")
            }
        }
        let hidden = listing.total - listing.entries.count
        if hidden > 0 {
            lines.append(
                "… \(hidden) more not shown: list_files shows at most \(limit.maxListEntries) entries; "
                    + "list a subdirectory or use search_files")
        }
        if listing.undecodable > 0 {
            lines.append("(\(listing.undecodable) entries with names that are not UTF-8 left out)")
        }
        return lines.joined(separator: "\n")
    }
}
