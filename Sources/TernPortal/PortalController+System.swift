import Hummingbird
import TernHTTP

/// The Skills, Diagnostics and Settings pages.
extension PortalController {
    /// `GET/POST /admin/skills…`.
    func addSkillRoutes(to router: Router<TernRequestContext>) {
        router.get("admin/skills", use: skillsPage)
        router.post("admin/skills/check", use: checkSkill)
        router.get("admin/skills/:context/:name", use: skillPage)
    }

    /// `GET /admin/diagnostics`.
    func addDiagnosticsRoutes(to router: Router<TernRequestContext>) {
        router.get("admin/diagnostics", use: diagnosticsPage)
    }

    /// `GET /admin/settings`.
    func addSettingsRoutes(to router: Router<TernRequestContext>) {
        router.get("admin/settings", use: settingsPage)
    }
}
