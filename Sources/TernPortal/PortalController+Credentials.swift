import Hummingbird
import TernHTTP

/// The Credentials and MCP servers pages.
extension PortalController {
    /// `GET/POST /admin/credentials…`.
    func addCredentialRoutes(to router: Router<TernRequestContext>) {}

    /// `GET/POST /admin/mcp-servers…`.
    func addMCPServerRoutes(to router: Router<TernRequestContext>) {}
}
