import Hummingbird
import TernHTTP

/// The Skills, Diagnostics and Settings pages.
extension PortalController {
    /// `GET/POST /admin/skills…`.
    func addSkillRoutes(to router: Router<TernRequestContext>) {}

    /// `GET /admin/diagnostics`.
    func addDiagnosticsRoutes(to router: Router<TernRequestContext>) {}

    /// `GET /admin/settings`.
    func addSettingsRoutes(to router: Router<TernRequestContext>) {}
}
