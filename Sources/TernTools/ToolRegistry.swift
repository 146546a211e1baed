import Foundation
package import TernCore

/// The built-in tools registered in code, minus those `tools.yaml` disables. The same set for
/// every context; per-context permissions are applied by the agent.
package struct ToolRegistry: ToolSource {
    private let byName: [String: any Tool]

    /// Registers `tools`, leaving out the names in `disabled`.
    /// - Throws: ``ToolError/invalidSpec(name:reason:)`` when two tools share a name, or a name
    ///   starts with `tern_` (reserved for the agent's planning tools).
    package init(_ tools: [any Tool], disabled: Set<String> = []) throws(ToolError) {
        var byName: [String: any Tool] = [:]
        for tool in tools {
            let name = tool.spec.name
            guard !name.hasPrefix("tern_") else {
                throw .invalidSpec(name: name, reason: "names starting with tern_ are reserved for the agent's planning tools")
            }
            guard byName[name] == nil else {
                throw .invalidSpec(name: name, reason: "two tools are registered under this name")
            }
            if !disabled.contains(name) { byName[name] = tool }
        }
        self.byName = byName
    }

    /// Names of the enabled tools, sorted.
    package var names: [String] { byName.keys.sorted() }

    /// The enabled tool with this name.
    package func tool(named name: String) -> (any Tool)? { byName[name] }

    package func tools(for context: ContextID) async throws -> [any Tool] {
        names.compactMap { byName[$0] }
    }
}
