import Foundation
import Hummingbird
import TernAgent
import TernCore
import TernHTTP

extension PortalController {
    func addApprovalRoutes(to router: Router<TernRequestContext>) {
        router.get("admin/approvals", use: approvals)
        router.post("admin/approvals/:id/decide", use: decideApproval)
    }

    /// `GET /admin/approvals?cursor=`: pending requests of the visitor's contexts (every one for
    /// admins) with Approve/Deny where their role may decide, and the history.
    @Sendable func approvals(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            let cursor = try request.formQuery["cursor"].map { token in
                guard let cursor = PortalTimeCursor(token: String(token)) else {
                    throw PortalFailure.invalid("The page link is damaged (cursor '\(token)'); start from the first page.")
                }
                return cursor
            }
            // Orphans (their turn's instance is gone) expire first, as in every other channel.
            if let center = agent.approvals { try await center.expireOrphans() }
            let pending = try await portal.queries.pendingApprovals(visit.scope, limit: 200)
            let history = try await portal.queries.approvalHistory(visit.scope, before: cursor, limit: 50)
            let model = ApprovalsModel(pending: pending, history: history) { visit.refusal(.decideApprovals, in: $0) }
            return PortalPage.render("approvals", title: "Approvals", model: model, visit: visit, section: "Approvals")
        }
    }

    /// `POST /admin/approvals/{id}/decide` (context, decision=approve|deny): through the agent's
    /// decision path (``AgentService/decideApproval(_:approve:by:in:reason:)``, whose viewer rule
    /// applies); an admin who is not a member decides through the ``ApprovalCenter`` directly.
    @Sendable func decideApproval(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, form in
            let id = ApprovalID(try context.parameters.require("id"))
            let contextID = ContextID(try form.require("context", label: "The approval's context"))
            let decision = try form.require("decision", label: "The decision")
            guard decision == "approve" || decision == "deny" else {
                throw PortalFailure.invalid("The decision must be approve or deny, not '\(decision)'.")
            }
            try visit.require(.decideApprovals, in: contextID)
            guard let center = agent.approvals else {
                throw PortalFailure(.serviceUnavailable, "Approvals are not enabled on this server.")
            }
            let decided =
                if visit.isAdmin && visit.role(in: contextID) == nil {
                    try await center.decide(id, approve: decision == "approve", by: visit.user.id, in: contextID)
                } else {
                    try await agent.decideApproval(id, approve: decision == "approve", by: visit.user.id, in: contextID)
                }
            await audit(
                visit, request, context, action: "approval.\(decision)", object: ("approval", id.rawValue), in: contextID,
                after: ["status": .string(decided.status.rawValue), "tool": .string(decided.tool)])
            return PortalPage.redirect(to: "/admin/approvals")
        }
    }
}
