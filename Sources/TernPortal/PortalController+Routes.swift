import Hummingbird
import TernHTTP

extension PortalController {
    /// The pages' routes (the sign-in's are in ``addRoutes(to:)``). docs/portal.md says how to add one.
    func addPageRoutes(to router: Router<TernRequestContext>) {
        addContextRoutes(to: router)
        addApprovalRoutes(to: router)
        addUserRoutes(to: router)
        addAccountRoutes(to: router)
        addConversationRoutes(to: router)
        addAuditRoutes(to: router)
        addCredentialRoutes(to: router)
        addMCPServerRoutes(to: router)
        addSkillRoutes(to: router)
        addDiagnosticsRoutes(to: router)
        addSettingsRoutes(to: router)
    }
}
