package import Foundation
import HTTPTypes
package import Hummingbird
import Logging
package import TernAgent
package import TernCore
package import TernHTTP

/// The admin portal: sign-in (OIDC, break-glass links, logout) and its pages. Every page is
/// route → access check (``PortalVisit/require(_:in:)``) → query → view model → template; every
/// change is a POST checked for CSRF (``PortalCSRF``), creates are idempotent
/// (``once(_:_:create:)``) and every change is written to the audit log (``audit(_:_:_:)``).
package struct PortalController: RouteProvider {
    let portal: PortalDependencies
    let identity: IdentityResolver
    let connections: ConnectionWatch
    let clock: any WallClock
    let tenants: any TenantStore
    let apiKeys: any APIKeyStore
    let agent: AgentService
    let mcpServers: any MCPServerAdmin
    let credentials: CredentialVault
    let auditLog: any AuditStore
    /// The Diagnostics page's parts: the store's ping, the model server's latest evidence and the
    /// named checks of `GET /admin/api/v1/diagnostics`.
    let storeHealth: any StoreHealth
    let modelReachability: ModelReachability
    let diagnostics: [String: @Sendable () async -> JSONValue]

    /// Built from what the HTTP layer has; logs go through each request's logger.
    package init(portal: PortalDependencies, http: HTTPDependencies) {
        self.portal = portal
        identity = http.identity
        connections = http.connections
        clock = http.clock
        tenants = http.tenants
        apiKeys = http.apiKeys
        agent = http.agent
        mcpServers = http.mcpServers
        credentials = http.credentials
        auditLog = http.audit
        storeHealth = http.storeHealth
        modelReachability = http.modelReachability
        diagnostics = http.diagnostics
    }

    package func addRoutes(to router: Router<TernRequestContext>) {
        router.get("admin", use: dashboard)
        router.get("admin/static/:file", use: PortalAssets.serve)
        router.get("admin/login", use: login)
        router.get("admin/oidc/callback", use: callback)
        router.post("admin/logout", use: logout)
        router.get("admin/login-link/:token", use: loginLink)
        addPageRoutes(to: router)
    }

    func cookies(_ request: Request, _ context: TernRequestContext) -> PortalCookie {
        PortalCookie(secure: connections.isHTTPS(request, context: context))
    }

    /// The session and identity of a signed-in browser; `nil` without a live session cookie.
    package func signedIn(_ request: Request, context: TernRequestContext) async throws -> (AdminSession, ResolvedIdentity)? {
        guard let token = cookies(request, context).value(PortalCookie.session, in: request),
            let session = try await portal.sessions.session(token: token, idleTimeout: portal.idleTimeout)
        else { return nil }
        return (session, try await identity.resolve(sessionUser: session.userID))
    }

    /// The signed-in visit of `request`, or `nil`.
    func visit(_ request: Request, _ context: TernRequestContext) async throws -> PortalVisit? {
        guard let (session, identity) = try await signedIn(request, context: context) else { return nil }
        return PortalVisit(
            session: session, identity: identity, memberships: try await tenants.memberships(of: identity.user.id),
            csrf: portal.csrf.token(for: session.id))
    }

    /// What a browser without a session gets: the provider's login, or a page saying how to sign in.
    func notSignedIn() -> Response {
        if portal.oidc != nil { return PortalPage.redirect(to: "/admin/login") }
        return PortalPage.problem(
            .unauthorized,
            "No identity provider is configured (TERN_OIDC_ISSUER). Run `tern admin login-link <email>` on the server "
                + "and open the link it prints.", next: nil)
    }

    /// `POST /admin/logout`: deletes the session, so the old cookie stops working at once.
    @Sendable func logout(_ request: Request, context: TernRequestContext) async throws -> Response {
        let cookies = cookies(request, context)
        guard let visit = try await visit(request, context) else { return notSignedIn() }
        let form = try await PortalForm.read(request)
        if let refusal = csrfRefusal(request, context, visit: visit, form: form) {
            return PortalPage.problem(.forbidden, refusal, visit: visit, next: nil)
        }
        try await portal.sessions.deleteSession(visit.session.id)
        context.logger.info("signed out", metadata: ["user": "\(visit.user.id)", "session": "\(visit.session.id)"])
        return PortalPage.problem(
            .ok, "You are signed out.", next: PortalLink(label: "Sign in again", href: "/admin/"),
            headers: [.setCookie: cookies.clear(PortalCookie.session)])
    }

    /// `GET /admin/login-link/<token>`: a break-glass link, used up on opening.
    @Sendable func loginLink(_ request: Request, context: TernRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        switch try await portal.loginLinks.redeemLoginLink(token) {
        case .user(let user):
            context.logger.notice("signed in with a login link", metadata: ["user": "\(user)"])
            return try await startSession(for: user, request, context)
        case .used:
            return PortalPage.problem(
                .gone, "This login link was already used. Links work once; ask for a new one with `tern admin login-link`.")
        case .expired:
            return PortalPage.problem(
                .gone, "This login link expired (links work for 10 minutes). Ask for a new one with `tern admin login-link`.")
        case .unknown:
            return PortalPage.problem(.notFound, "This login link is not valid. Check that it was copied whole, or ask for a new one.")
        }
    }

    /// Stores a new session for `user` and sends the browser to `/admin/` with its cookie.
    func startSession(
        for user: UserID, _ request: Request, _ context: TernRequestContext, extraCookies: [String] = []
    ) async throws -> Response {
        let (_, token) = try await portal.sessions.createSession(
            for: user, userAgent: request.headers[.userAgent],
            address: connections.clientAddress(of: request, context: context),
            expiresAt: clock.now().addingTimeInterval(portal.maxAge))
        var headers = HTTPFields()
        for cookie in extraCookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        headers.append(
            HTTPField(
                name: .setCookie, value: cookies(request, context).set(PortalCookie.session, value: token, maxAge: Int(portal.maxAge))))
        return PortalPage.redirect(to: "/admin/", headers: headers)
    }
}
