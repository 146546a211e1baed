/// Something a member can do inside a context. Every channel, the agent and the admin API ask
/// ``MemberRole/allows(_:)`` before doing it, so what a role means is decided here and nowhere else.
package enum ContextAction: Sendable, Hashable {
    /// Send chat turns, read the conversations and pending approvals of the context.
    case chat
    /// Have the agent run a tool of this risk for the caller.
    case runTool(ToolRisk)
    /// Approve or deny a pending approval.
    case decideApprovals
    /// Rename the context, list and change its members, mint and revoke keys limited to it.
    case manage
}

extension MemberRole {
    /// The role table (also in docs/security.md; a matrix test keeps both true):
    ///
    /// | action                                   | viewer | member | owner |
    /// |------------------------------------------|--------|--------|-------|
    /// | chat, read conversations and approvals   | yes    | yes    | yes   |
    /// | run `read` tools                         | yes    | yes    | yes   |
    /// | run `write`/`external`/`dangerous` tools | no     | yes    | yes   |
    /// | decide approvals                         | no     | yes    | yes   |
    /// | manage the context                       | no     | no     | yes   |
    ///
    /// Tool permissions and MCP servers are not in the table: they are for admins only (a server
    /// role, not a membership), even in a context the admin owns.
    package func allows(_ action: ContextAction) -> Bool {
        switch (self, action) {
        case (_, .chat): true
        case (.viewer, .runTool(let risk)): risk == .read
        case (.viewer, .decideApprovals), (.viewer, .manage): false
        case (.member, .runTool), (.member, .decideApprovals): true
        case (.member, .manage): false
        case (.owner, _): true
        }
    }

    /// Why this role may not do `action`, for error messages; `nil` when it may.
    package func refusal(_ action: ContextAction) -> String? {
        guard !allows(action) else { return nil }
        return switch action {
        case .chat: "a \(rawValue) cannot chat in this context"
        case .runTool(let risk): "a viewer of this context may run only read tools, and this one's risk is \(risk.rawValue)"
        case .decideApprovals: "a viewer of this context cannot approve or deny; ask a member or owner"
        case .manage: "only an owner of this context (or an admin) can manage it; you are a \(rawValue)"
        }
    }
}
