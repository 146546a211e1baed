import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TernCore
import TernHTTP

extension PortalController {
    /// `GET /admin/login`: sends the browser to the provider with `state`, `nonce` and a PKCE
    /// S256 challenge, which it keeps in a signed 10-minute cookie of its own.
    @Sendable func login(_ request: Request, context: TernRequestContext) async throws -> Response {
        guard let oidc = portal.oidc else {
            return PortalPage.problem(
                .notFound,
                "No identity provider is configured (set TERN_OIDC_ISSUER, TERN_OIDC_CLIENT_ID, TERN_OIDC_CLIENT_SECRET and "
                    + "TERN_PUBLIC_URL). Without one, sign in with a link from `tern admin login-link <email>`.")
        }
        let login = OIDCLoginState.make(now: clock.now())
        let location: String
        do {
            location = try await oidc.authorizationURL(for: login)
        } catch let error as OIDCError {
            context.logger.error("OIDC discovery failed", metadata: ["error": "\(error)"])
            return PortalPage.problem(.badGateway, error.description)
        }
        let cookie = cookies(request, context).set(
            PortalCookie.login, value: portal.signer.seal(login), maxAge: Int(OIDCLoginState.lifetime))
        return PortalPage.redirect(to: location, headers: [.setCookie: cookie])
    }

    /// `GET /admin/oidc/callback`: checks `state` (constant time) against this browser's login
    /// cookie, exchanges the code with the PKCE verifier, verifies the `id_token`, signs the user
    /// in. The login cookie is cleared whatever happens, so a callback works once.
    @Sendable func callback(_ request: Request, context: TernRequestContext) async throws -> Response {
        let cookies = cookies(request, context)
        let clear = cookies.clear(PortalCookie.login)
        guard let oidc = portal.oidc, let accounts = portal.accounts else {
            return PortalPage.problem(.notFound, "No identity provider is configured (TERN_OIDC_ISSUER).", headers: [.setCookie: clear])
        }
        do {
            guard let sealed = cookies.value(PortalCookie.login, in: request) else {
                throw OIDCError.badCallback(
                    "No login is in progress in this browser (its login cookie is missing or expired, or this callback was already used).")
            }
            let login = try portal.signer.open(sealed, now: clock.now())
            let query = request.formQuery
            if let error = query["error"] {
                let description = query["error_description"].map { ": \($0)" } ?? ""
                throw OIDCError.refused("The identity provider did not sign you in (\(error)\(description)).")
            }
            guard let state = query["state"], constantTimeEquals(state, login.state) else {
                throw OIDCError.badCallback("The callback's state does not match this browser's login; start the login again.")
            }
            guard let code = query["code"], !code.isEmpty else {
                throw OIDCError.badCallback("The callback has no code.")
            }
            let claims = try await oidc.exchange(code: String(code), login: login)
            let user = try await accounts.user(for: claims)
            context.logger.notice("signed in with the identity provider", metadata: ["user": "\(user.id)"])
            return try await startSession(for: user.id, request, context, extraCookies: [clear])
        } catch let error as OIDCError {
            context.logger.warning("OIDC login refused", metadata: ["reason": "\(error)"])
            let status: HTTPResponse.Status =
                switch error {
                case .provider: .badGateway
                case .invalidIDToken: .unauthorized
                case .badCallback, .refused: .badRequest
                }
            return PortalPage.problem(status, error.description, headers: [.setCookie: clear])
        }
    }
}
