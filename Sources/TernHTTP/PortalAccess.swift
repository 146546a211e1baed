package import TernCore

/// Who may do what in the admin portal and the admin JSON API: the one function both ask.
///
/// - An `admin` user may do everything.
/// - A context's `owner` manages that context: its members and their roles, its credentials,
///   its API keys, its approvals.
/// - A `member` uses the context and decides its approvals.
/// - A `viewer` reads only: it can not decide approvals.
/// - An owner also configures the context's tools: permissions of tools that are not dangerous,
///   MCP servers reached over HTTP (through the network guard), and enabling, disabling,
///   testing or removing any of the context's servers. Two things stay with admins even in a
///   context someone owns, because either would hand the owner this host: adding an MCP server
///   that starts a command here (stdio), and the permission of a dangerous tool (its calls
///   need approval, which the owner could give themselves).
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
        /// Permissions of tools that are not dangerous; MCP servers over HTTP; enabling,
        /// disabling, testing and removing the context's servers.
        case configureTools
        /// Adding an MCP server that starts a command on this host (stdio); the permission of a
        /// dangerous tool.
        case configureHost
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
        case .configureHost:
            return "only admins can add an MCP server that runs a command on this host (stdio) or set a dangerous "
                + "tool's permission, even in a context you own; owners may add HTTP servers"
        case .readContext, .decideApprovals, .manageMembers, .manageCredentials, .configureTools:
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
