import Foundation
import Hummingbird
import TernCore
import TernHTTP

/// The audit log page: filtered by actor, object and date in the database, keyset pages. Admins
/// see every entry; a context's owners the entries of the contexts they own (as the JSON API).
extension PortalController {
    func addAuditRoutes(to router: Router<TernRequestContext>) {
        router.get("admin/audit", use: auditLogPage)
    }

    /// `GET /admin/audit?actor=&object=&since=&until=&cursor=`; `object` is `type` or `type:id`.
    @Sendable func auditLogPage(_ request: Request, context: TernRequestContext) async throws
        -> Response
    {
        try await page(request, context) { visit in
            var query = AuditQuery(limit: 50)
            if !visit.isAdmin {
                let owned = Set(
                    visit.memberships.map(\.contextID).filter { visit.refusal(.manageMembers, in: $0) == nil }
                )
                guard !owned.isEmpty else {
                    throw PortalFailure(
                        .forbidden, "The audit log is for admins and for the owners of a context; you own none."
                    )
                }
                query.contexts = owned
            }
            let value = { (name: String) in Self.queryValue(request, name) }
            let filters = AuditModel.Filters(
                actor: value("actor"), object: value("object"), since: value("since"), until: value("until")
            )
            if !filters.actor.isEmpty { query.actor = try await user(named: filters.actor).rawValue }
            if !filters.object.isEmpty {
                let parts = filters.object.split(separator: ":", maxSplits: 1).map(String.init)
                query.objectType = parts.first
                query.objectID = parts.count == 2 ? parts[1] : nil
            }
            (query.since, query.until) = try PortalQuery.days(since: filters.since, until: filters.until)
            query.cursor = try PortalQuery.cursor(value("cursor"))
            let found = try await auditLog.entries(query)
            let note =
                visit.isAdmin
                ? "Every change, newest first." : "Changes in the contexts you own, newest first."
            return PortalPage.render(
                "audit", title: "Audit log",
                model: AuditModel(filters: filters, page: found, scopeNote: note), visit: visit,
                section: "Audit log")
        }
    }
}
