import Foundation
import TernCore

/// The approvals page's view model: pending requests with the visitor's right to decide each,
/// and a keyset page of decided ones.
struct ApprovalsModel: Sendable {
    struct Pending: Sendable {
        let id, contextID, context, tool, arguments, created, expires: String
        let canDecide: Bool
        let whyNot: String
    }

    struct Decided: Sendable {
        let created, context, tool, status, decided, reason: String
    }

    let pending: [Pending]
    let history: [Decided]
    let nextHref: String
    let hasNext: Bool
    let pendingEmpty: Bool
    let historyEmpty: Bool

    init(pending: [PortalApprovalRow], history: KeysetPage<PortalApprovalRow>, refusal: (ContextID) -> String?) {
        self.pending = pending.map { row in
            let approval = row.approval
            let why = refusal(approval.contextID)
            return Pending(
                id: approval.id.rawValue, contextID: approval.contextID.rawValue, context: row.contextName, tool: approval.tool,
                arguments: String(approval.arguments.prefix(300)), created: PortalFormat.time(approval.createdAt),
                expires: PortalFormat.time(approval.expiresAt), canDecide: why == nil, whyNot: why ?? "")
        }
        self.history = history.rows.map { row in
            let approval = row.approval
            return Decided(
                created: PortalFormat.time(approval.createdAt), context: row.contextName, tool: approval.tool,
                status: approval.status.rawValue, decided: approval.decidedAt.map(PortalFormat.time) ?? "–",
                reason: approval.reason ?? "")
        }
        nextHref = history.next.map { PortalQuery.href("/admin/approvals", ["cursor": $0]) } ?? ""
        hasNext = history.next != nil
        pendingEmpty = self.pending.isEmpty
        historyEmpty = self.history.isEmpty
    }
}
