import Foundation
package import TernCore

extension AgentService {
    /// Records a decision on a pending approval for every channel (API, Telegram buttons, the
    /// `/approve` and `/deny` chat commands): the decider must be a member of the approval's
    /// context whose role may decide (``ContextAction/decideApprovals``; viewers may not).
    /// - Throws: ``AgentError/forbidden(_:)`` for a non-member or a viewer, before anything is
    ///   stored; otherwise what ``ApprovalCenter/decide(_:approve:by:in:reason:)`` throws.
    package func decideApproval(
        _ id: ApprovalID, approve: Bool, by user: UserID, in context: ContextID, reason: String? = nil
    ) async throws -> Approval {
        guard let tooling else { throw AgentError.forbidden("approvals are not enabled on this server") }
        guard let role = try await tooling.memberRole(user, context) else {
            throw AgentError.forbidden("you are not a member of this context")
        }
        if let refusal = role.refusal(.decideApprovals) { throw AgentError.forbidden(refusal) }
        return try await tooling.approvals.decide(id, approve: approve, by: user, in: context, reason: reason)
    }
}
