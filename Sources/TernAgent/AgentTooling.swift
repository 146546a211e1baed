import Foundation
package import TernCore

/// What turns the agent from a chat relay into an agent: tools, permissions, skills, approvals
/// and the membership check every tool call passes. Without it, ``AgentService`` answers
/// directly and offers no tools.
package struct AgentTooling: Sendable {
    /// Built-ins, MCP tools, … merged by name (the first source wins).
    package var sources: [any ToolSource]
    package var permissions: any ToolPermissionStore
    package var skills: any SkillCatalog
    package var approvals: ApprovalCenter
    /// Bumped by the tenant store on membership changes; invalidates the per-turn check.
    package var epoch: MembershipEpoch
    /// A user's role in a context, `nil` when not a member (the tenant store's answer).
    package var memberRole: @Sendable (UserID, ContextID) async throws -> MemberRole?

    package init(
        sources: [any ToolSource], permissions: any ToolPermissionStore, skills: any SkillCatalog,
        approvals: ApprovalCenter, epoch: MembershipEpoch,
        memberRole: @escaping @Sendable (UserID, ContextID) async throws -> MemberRole?
    ) {
        self.sources = sources
        self.permissions = permissions
        self.skills = skills
        self.approvals = approvals
        self.epoch = epoch
        self.memberRole = memberRole
    }
}

/// A chat command the agent handles itself instead of asking the model.
enum ChatCommand: Equatable {
    case approve(ApprovalID, reason: String?)
    case deny(ApprovalID, reason: String?)
    /// `/<name> args` naming a skill.
    case skill(name: String, input: String)

    /// Recognises `/approve <id> [reason]`, `/deny <id> [reason]` and `/<word> [args]`
    /// (a skill if the catalog has one by that name). Returns `nil` for ordinary text.
    static func parse(_ input: String) throws(AgentError) -> ChatCommand? {
        let text = input.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("/"), text.count > 1 else { return nil }
        let head = text.dropFirst().prefix { !$0.isWhitespace }
        let rest = text.dropFirst(head.count + 1).trimmingCharacters(in: .whitespacesAndNewlines)
        switch head {
        case "approve", "deny":
            let id = rest.prefix { !$0.isWhitespace }
            guard !id.isEmpty else { throw .badCommand("usage: /\(head) <approval id> [reason]") }
            let reasonText = rest.dropFirst(id.count).trimmingCharacters(in: .whitespaces)
            let reason = reasonText.isEmpty ? nil : reasonText
            return head == "approve"
                ? .approve(ApprovalID(String(id)), reason: reason) : .deny(ApprovalID(String(id)), reason: reason)
        default:
            return Skill.isValidName(String(head)) ? .skill(name: String(head), input: rest) : nil
        }
    }
}
