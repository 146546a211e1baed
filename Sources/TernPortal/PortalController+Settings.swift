import Hummingbird
import TernHTTP

extension PortalController {
    /// `GET /admin/settings`: admins only; read-only.
    @Sendable func settingsPage(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            try visit.require(.administer)
            return PortalPage.render(
                "settings", title: "Settings", model: SettingsModel(portal.settings), visit: visit, section: "Settings")
        }
    }
}
