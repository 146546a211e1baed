import Foundation
package import TernCore

/// A tool as one context sees it, for admins.
package struct ToolStatus: Sendable, Equatable {
    package var spec: ToolSpec
    /// What applies in the context.
    package var permission: ToolPermission
    /// Whether a `tool_permissions` row says so (otherwise it is the configured default).
    package var isExplicit: Bool
    /// Whether a call waits for a human decision.
    package var needsApproval: Bool
}

extension AgentService {
    /// Every tool the agent knows, with its permission in `context`, sorted by name.
    package func toolStatus(in context: ContextID) async throws -> [ToolStatus] {
        guard let tooling else { return [] }
        let explicit = try await tooling.permissions.permissions(in: context)
        var seen: Set<String> = []
        var result: [ToolStatus] = []
        for source in tooling.sources {
            for tool in try await source.tools(for: context) where seen.insert(tool.spec.name).inserted {
                let name = tool.spec.name
                result.append(
                    ToolStatus(
                        spec: tool.spec, permission: explicit[name] ?? settings.defaultToolPermission,
                        isExplicit: explicit[name] != nil,
                        needsApproval: tool.spec.risk == .dangerous || settings.approvalRequired.contains(name)))
            }
        }
        return result.sorted { $0.spec.name < $1.spec.name }
    }

    /// Sets a tool's permission in a context, or (`nil`) goes back to the default.
    /// - Throws: ``StoreError/notFound(_:)`` for a tool the agent does not know (a typo would
    ///   otherwise be stored silently), or when resetting a tool that has no explicit permission.
    package func setToolPermission(_ permission: ToolPermission?, for tool: String, in context: ContextID) async throws {
        let known = try await toolStatus(in: context).map(\.spec.name)
        guard let tooling, known.contains(tool) else {
            throw StoreError.notFound("tool '\(tool)'; the tools are: \(known.joined(separator: ", "))")
        }
        if let permission {
            try await tooling.permissions.setPermission(permission, for: tool, in: context)
        } else {
            try await tooling.permissions.removePermission(for: tool, in: context)
        }
    }
}

extension AgentService {
    /// The skills a turn in `context` can use (the context's own over global ones), by name.
    package func skills(in context: ContextID) async -> [Skill] {
        guard let tooling else { return [] }
        return await tooling.skills.skills(for: context).values.sorted { $0.name < $1.name }
    }
}
