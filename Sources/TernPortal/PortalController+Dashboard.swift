import Foundation
import Hummingbird
import TernCore
import TernHTTP

extension PortalController {
    /// `GET /admin/`: counts, the latest and unfinished turns, and a 14-day token chart, for
    /// every context (admins) or the visitor's own.
    @Sendable func dashboard(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            let now = clock.now()
            let today = Int(now.timeIntervalSince1970 / 86_400)
            let since = Date(timeIntervalSince1970: TimeInterval(today - 13) * 86_400)
            let data = try await portal.queries.dashboard(contexts: visit.scope, since: since)
            return PortalPage.render(
                "dashboard", title: "Dashboard", model: DashboardModel(data, everything: visit.scope == nil, today: today),
                visit: visit, section: "Dashboard")
        }
    }
}
