package import Foundation
package import TernCore

/// The configured identity provider: discovery (cached once it succeeds), the authorization
/// request with PKCE S256, and the code exchange ending in a verified `id_token`.
package actor OIDCProvider {
    /// `TERN_OIDC_*` and the redirect URL derived from `TERN_PUBLIC_URL`.
    package struct Settings: Sendable, Equatable {
        package var issuer: String
        package var clientID: String
        package var clientSecret: String
        /// `TERN_PUBLIC_URL` + `/admin/oidc/callback`.
        package var redirectURL: String

        package init(issuer: String, clientID: String, clientSecret: String, redirectURL: String) {
            self.issuer = issuer
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.redirectURL = redirectURL
        }
    }

    /// The endpoints discovery found.
    struct Endpoints {
        var authorization: String
        var token: String
        var verifier: OIDCTokenVerifier
    }

    package let settings: Settings
    private let transport: any OIDCHTTPTransport
    private let clock: any WallClock
    private var endpoints: Endpoints?

    package init(settings: Settings, transport: any OIDCHTTPTransport, clock: any WallClock = SystemWallClock()) {
        self.settings = settings
        self.transport = transport
        self.clock = clock
    }

    /// Where to send the browser to sign in for `login`.
    package func authorizationURL(for login: OIDCLoginState) async throws -> String {
        let endpoints = try await discover()
        let query = OIDCForm.encode([
            ("response_type", "code"), ("client_id", settings.clientID), ("redirect_uri", settings.redirectURL),
            ("scope", "openid email profile"), ("state", login.state), ("nonce", login.nonce),
            ("code_challenge", login.challenge), ("code_challenge_method", "S256"),
        ])
        return endpoints.authorization + (endpoints.authorization.contains("?") ? "&" : "?") + query
    }

    /// Exchanges the callback's `code` (with the PKCE verifier and the client secret) and verifies
    /// the `id_token` the provider answers with against `login`'s nonce.
    package func exchange(code: String, login: OIDCLoginState) async throws -> OIDCIDTokenClaims {
        let endpoints = try await discover()
        let credentials = Data("\(OIDCForm.escape(settings.clientID)):\(OIDCForm.escape(settings.clientSecret))".utf8)
        let response: OIDCHTTPResponse
        do {
            response = try await transport.postForm(
                endpoints.token,
                form: [
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", settings.redirectURL),
                    ("code_verifier", login.verifier), ("client_id", settings.clientID),
                ],
                headers: [("Authorization", "Basic \(credentials.base64EncodedString())"), ("Accept", "application/json")])
        } catch {
            throw OIDCError.provider("the token request (\(endpoints.token)) failed: \(error)")
        }
        let answer = try OIDCForm.object(response.body, what: "its token answer (HTTP \(response.status))")
        guard response.status == 200 else {
            let error = answer["error"] as? String ?? "HTTP \(response.status)"
            let description = (answer["error_description"] as? String).map { ": \($0)" } ?? ""
            throw OIDCError.refused("the identity provider refused the login code (\(error)\(description)); start the login again")
        }
        guard let idToken = answer["id_token"] as? String else {
            throw OIDCError.provider("its token answer has no id_token (is the 'openid' scope allowed for this client?)")
        }
        return try await endpoints.verifier.verify(idToken, nonce: login.nonce)
    }

    /// Reads `<issuer>/.well-known/openid-configuration` once; a failure is retried next time.
    private func discover() async throws -> Endpoints {
        if let endpoints { return endpoints }
        let base = settings.issuer.hasSuffix("/") ? String(settings.issuer.dropLast()) : settings.issuer
        let url = base + "/.well-known/openid-configuration"
        let document = try await transport.json(url, what: "discovery document")
        guard let issuer = document["issuer"] as? String, issuer == settings.issuer else {
            throw OIDCError.provider(
                "its discovery document names the issuer '\(document["issuer"] as? String ?? "")', but TERN_OIDC_ISSUER is "
                    + "'\(settings.issuer)'; they must be equal, character for character")
        }
        func endpoint(_ key: String) throws -> String {
            guard let value = document[key] as? String, value.hasPrefix("https://") || value.hasPrefix("http://") else {
                throw OIDCError.provider("its discovery document (\(url)) has no usable \(key)")
            }
            return value
        }
        if let methods = document["code_challenge_methods_supported"] as? [String], !methods.contains("S256") {
            throw OIDCError.provider("it does not support PKCE with S256 (code_challenge_methods_supported: \(methods))")
        }
        let jwksURL = try endpoint("jwks_uri")
        let transport = transport
        let keys = OIDCKeyCache(clock: clock) {
            let response = try await transport.get(jwksURL)
            guard response.status == 200 else {
                throw OIDCError.provider("its key set (\(jwksURL)) answered HTTP \(response.status)")
            }
            return response.body
        }
        let found = Endpoints(
            authorization: try endpoint("authorization_endpoint"), token: try endpoint("token_endpoint"),
            verifier: OIDCTokenVerifier(issuer: settings.issuer, clientID: settings.clientID, keys: keys, clock: clock))
        endpoints = found
        return found
    }
}
