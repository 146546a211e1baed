import Foundation

/// Whether a context may use a tool.
package enum ToolPermission: String, Sendable, Codable, CaseIterable {
    case allow, deny
}

/// Per-context tool permissions (table `tool_permissions`). A tool without a row gets the
/// configured default.
package protocol ToolPermissionStore: Sendable {
    /// The explicit permissions of a context, by tool name.
    func permissions(in context: ContextID) async throws -> [String: ToolPermission]
    /// Sets (or replaces) the permission of one tool in a context.
    /// - Throws: ``StoreError/invalid(_:)`` for a name that is not a valid tool name,
    ///   ``StoreError/notFound(_:)`` for an unknown context.
    func setPermission(_ permission: ToolPermission, for tool: String, in context: ContextID) async throws
    /// Removes the explicit permission, so the default applies again.
    /// - Throws: ``StoreError/notFound(_:)`` when the context has no row for the tool.
    func removePermission(for tool: String, in context: ContextID) async throws
}
