package import TernCore

/// Who may do what in the admin portal and the admin JSON API: the one function both ask.
///
/// - An `admin` user may do everything.
/// - A context's `owner` manages that context: its members and their roles, its credentials,
///   its API keys, its approvals.
/// - A `member` uses the context and decides its approvals.
/// - A `viewer` reads only: it can not decide approvals.
/// - Tool permissions and MCP servers stay with admins, even in a context someone owns: an MCP
///   server definition can start a command on this host, and a tool permission can turn on a
///   dangerous built-in tool, so handing either to an owner would hand them the server.
/// - Everything global (users, roles, creating or deleting contexts, settings, diagnostics) is
///   for admins.
package enum PortalAccess {
    /// What a caller is about to do.
    package enum Action: String, Sendable, CaseIterable {
        /// See a context: its page, members, conversations, pending approvals.
        case readContext
        /// Approve or deny a context's pending tool call.
        case decideApprovals
        /// Add, remove or change the role of a context's members; rename it; its API keys.
        case manageMembers
        /// Store or delete a context's credentials (their names only are ever shown).
        case manageCredentials
        /// Tool permissions and MCP servers.
        case configureTools
        /// Users, roles, creating and deleting contexts, settings, diagnostics, the whole audit log.
        case administer
    }

    /// Why `action` is refused to a caller whose user is an admin or not and who has `role` in
    /// the context acted on (`nil`: not a member, or no context); `nil` when it is allowed.
    package static func refusal(isAdmin: Bool, role: MemberRole?, _ action: Action) -> String? {
        if isAdmin { return nil }
        switch action {
        case .administer:
            return "only admins can do this"
        case .configureTools:
            return "tool permissions and MCP servers are for admins only, even in a context you own"
        case .readContext, .decideApprovals, .manageMembers, .manageCredentials:
            guard let role else { return "you are not a member of this context" }
            let needed: ContextAction = action == .readContext ? .chat : action == .decideApprovals ? .decideApprovals : .manage
            return role.refusal(needed)
        }
    }

    /// Whether `action` is allowed (see ``refusal(isAdmin:role:_:)``).
    package static func allows(isAdmin: Bool, role: MemberRole?, _ action: Action) -> Bool {
        refusal(isAdmin: isAdmin, role: role, action) == nil
    }
}
