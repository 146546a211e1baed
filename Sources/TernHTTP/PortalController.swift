package import Foundation
package import HTTPTypes
package import Hummingbird
package import Logging
package import TernAgent
package import TernCore

/// The admin portal's sign-in: OIDC login and callback, break-glass links, logout, and a
/// minimal signed-in page. The pages themselves come later; every admin page resolves its user
/// through ``signedIn(_:context:)``.
package struct PortalController: Sendable {
    let portal: PortalDependencies
    let identity: IdentityResolver
    let connections: ConnectionWatch
    let clock: any WallClock

    /// Sign-ins and sign-outs are logged with each request's logger (the server's level).
    package init(
        portal: PortalDependencies, identity: IdentityResolver, connections: ConnectionWatch, clock: any WallClock
    ) {
        self.portal = portal
        self.identity = identity
        self.connections = connections
        self.clock = clock
    }

    package func addRoutes(to router: Router<TernRequestContext>) {
        router.get("admin", use: home)
        router.get("admin/login", use: login)
        router.get("admin/oidc/callback", use: callback)
        router.post("admin/logout", use: logout)
        router.get("admin/login-link/:token", use: loginLink)
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

    /// `GET /admin/`: who is signed in, and a logout button.
    @Sendable func home(_ request: Request, context: TernRequestContext) async throws -> Response {
        guard let (_, identity) = try await signedIn(request, context: context) else {
            if portal.oidc != nil { return PortalPage.redirect(to: "/admin/login") }
            return PortalPage.response(
                status: .unauthorized, title: "Not signed in",
                body: "<p>No identity provider is configured (TERN_OIDC_ISSUER). Run <code>tern admin login-link "
                    + "&lt;email&gt;</code> on the server and open the link it prints.</p>")
        }
        let user = identity.user
        let name = PortalPage.escape(user.email ?? user.displayName)
        return PortalPage.response(
            title: "Tern admin",
            body: """
                <p>Signed in as <strong>\(name)</strong> (\(PortalPage.escape(user.role.rawValue))).</p>
                <form method="post" action="/admin/logout"><button type="submit">Sign out</button></form>
                """)
    }

    /// `POST /admin/logout`: deletes the session, so the old cookie stops working at once.
    @Sendable func logout(_ request: Request, context: TernRequestContext) async throws -> Response {
        let cookies = cookies(request, context)
        if let (session, _) = try await signedIn(request, context: context) {
            try await portal.sessions.deleteSession(session.id)
            context.logger.info("signed out", metadata: ["user": "\(session.userID)", "session": "\(session.id)"])
        }
        return PortalPage.response(
            title: "Signed out", body: "<p>You are signed out.</p><p><a href=\"/admin/\">Sign in again</a></p>",
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
