import Foundation
package import TernCore

/// `search_files`: lines containing a string, in the text files of the calling context's
/// workspace.
package struct SearchFilesTool: Tool {
    /// The tool's name.
    package static let name = "search_files"

    /// Name, description, schema and risk (`.read`).
    package let spec: ToolSpec
    private let workspace: Workspace

    /// A tool searching the files of `workspace`.
    /// - Throws: never in practice; ``ToolError/invalidSpec(name:reason:)`` if the spec were bad.
    package init(workspace: Workspace) throws(ToolError) {
        self.workspace = workspace
        let limits = workspace.limits
        let schema: JSONValue = .object([
            "type": .string("object"),
            "properties": .object([
                "query": .object([
                    "type": .string("string"), "minLength": .number(1), "maxLength": .number(1000),
                    "description": .string("Plain text to find within one line (not a regular expression)."),
                ]),
                "path": WorkspaceToolSupport.pathProperty(
                    "Directory or file to search, relative to the workspace; default \".\"."),
                "case_sensitive": .object([
                    "type": .string("boolean"), "description": .string("Match case exactly; default false."),
                ]),
            ]),
            "required": .array([.string("query")]),
            "additionalProperties": .bool(false),
        ])
        spec = try ToolSpec(
            name: Self.name,
            description: "Finds lines containing a plain string in the text files of this conversation's "
                + "workspace, answering \"path:line: text\". Searches at most \(limits.maxSearchFiles) files "
                + "of up to \(limits.maxSearchFileBytes) bytes and returns at most \(limits.maxSearchMatches) "
                + "lines. Symbolic links are not followed.",
            inputSchema: schema, risk: .read)
    }

    /// `path:line: text` lines and a summary, or an error output naming the rule broken.
    /// - Throws: `CancellationError` when cancelled; ``ToolError/invalidInput(tool:violations:)``
    ///   for missing or mistyped members (callers normally validate first).
    package func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        let query = try WorkspaceToolSupport.string("query", of: input, tool: Self.name)
        let path = try WorkspaceToolSupport.string("path", of: input, tool: Self.name, default: ".")
        let caseSensitive = try WorkspaceToolSupport.bool("case_sensitive", of: input, tool: Self.name, default: false)
        return try await WorkspaceToolSupport.output { () throws(WorkspaceError) in
            let result = try await workspace.search(
                query, under: path, caseSensitive: caseSensitive, in: context.contextID)
            return .text(Self.render(result, query: query, limits: workspace.limits))
        }
    }

    /// The matches, then one summary line saying what was scanned, skipped and cut.
    static func render(_ result: WorkspaceSearchResult, query: String, limits: WorkspaceLimits) -> String {
        var lines = result.matches.map {
            "\(WorkspaceError.escaped($0.path)):\($0.line): \(WorkspaceError.escaped($0.text))"
        }
        let files = "\(result.filesScanned) \(result.filesScanned == 1 ? "file" : "files")"
        var summary =
            result.matches.isEmpty
            ? "no lines contain \"\(WorkspaceError.escaped(query))\" (\(files) searched)"
            : "\(result.matches.count) matching \(result.matches.count == 1 ? "line" : "lines") in \(files) searched"
        var skipped: [String] = []
        if result.skippedLinks > 0 { skipped.append("\(result.skippedLinks) symbolic links (not followed)") }
        if result.skippedLarge > 0 {
            skipped.append("\(result.skippedLarge) files over \(limits.maxSearchFileBytes) bytes")
        }
        if result.skippedBinary > 0 { skipped.append("\(result.skippedBinary) binary files") }
        if result.skippedOther > 0 { skipped.append("\(result.skippedOther) special or hard-linked entries") }
        if result.skippedDeep > 0 {
            skipped.append("\(result.skippedDeep) directories deeper than \(limits.maxSearchDepth) levels")
        }
        if !skipped.isEmpty { summary += "; skipped " + skipped.joined(separator: ", ") }
        if result.hitMatchLimit {
            summary += "; stopped at \(limits.maxSearchMatches) lines, narrow the query or path"
        }
        if result.hitFileLimit { summary += "; stopped after \(limits.maxSearchFiles) files, narrow the path" }
        lines.append(summary)
        return lines.joined(separator: "\n")
    }
}
