import Synchronization
package import TernCore

/// An in-memory ``ToolPermissionStore`` with the SQL store's rules: tool names are validated,
/// setting replaces, removing a permission that is not there is ``StoreError/notFound(_:)``.
///
/// It does not know which contexts exist, so unlike the SQL store it accepts any context ID in
/// ``setPermission(_:for:in:)`` instead of throwing ``StoreError/notFound(_:)``.
package final class MemoryToolPermissionStore: ToolPermissionStore {
    private let state: Mutex<[ContextID: [String: ToolPermission]]>

    /// A store holding `initial` permissions (none by default).
    package init(_ initial: [ContextID: [String: ToolPermission]] = [:]) {
        state = Mutex(initial)
    }

    package func permissions(in context: ContextID) async throws -> [String: ToolPermission] {
        state.withLock { $0[context] ?? [:] }
    }

    package func setPermission(_ permission: ToolPermission, for tool: String, in context: ContextID) async throws {
        guard ToolSpec.isValidName(tool) else {
            throw StoreError.invalid("'\(tool)' is not a valid tool name (letters, digits, _ and -, 1 to 64)")
        }
        state.withLock { $0[context, default: [:]][tool] = permission }
    }

    package func removePermission(for tool: String, in context: ContextID) async throws {
        try state.withLock { state in
            guard state[context]?.removeValue(forKey: tool) != nil else {
                throw StoreError.notFound("no permission for tool '\(tool)' in context \(context)")
            }
            if state[context]?.isEmpty == true { state[context] = nil }
        }
    }
}
