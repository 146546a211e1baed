import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TernCore
package import TernHTTP
import TernPortal
import TernStore

extension Dependencies {
    /// The admin portal's sign-in and pages, for ``buildRouter(_:pages:)``.
    package var portalPages: any RouteProvider { PortalController(portal: portal, http: http) }

    /// The portal's sign-in over the database: sessions and login links stored as keyed hashes,
    /// cookies signed with a key derived from the server secret, session limits from the
    /// configuration, and the identity provider when `TERN_OIDC_ISSUER` is set.
    static func makePortal(
        config: TernConfig, database: any DatabaseHandle, secretKey: [UInt8], tenants: any TenantStore,
        httpClient: HTTPClient, clock: any WallClock, logger: Logger
    ) -> PortalDependencies {
        let hasher = APIKeyHasher(secretKey: secretKey)
        var oidc: OIDCProvider?
        var accounts: OIDCAccountLinker?
        if let settings = config.portal.oidc, let publicURL = config.portal.publicURL {
            oidc = OIDCProvider(
                settings: OIDCProvider.Settings(
                    issuer: settings.issuer, clientID: settings.clientID, clientSecret: settings.clientSecret,
                    redirectURL: publicURL + "/admin/oidc/callback"),
                transport: HTTPClientOIDCTransport(httpClient: httpClient), clock: clock)
            accounts = OIDCAccountLinker(
                tenants: tenants, identities: SQLOIDCIdentityStore(database: database, clock: clock),
                adminEmails: settings.adminEmails, adminGroup: settings.adminGroup, logger: logger)
        }
        return PortalDependencies(
            oidc: oidc, accounts: accounts,
            sessions: SQLAdminSessionStore(database: database, hasher: hasher, clock: clock),
            loginLinks: SQLLoginLinkStore(database: database, hasher: hasher, clock: clock),
            signer: PortalCookieSigner(secretKey: secretKey), csrf: PortalCSRF(secretKey: secretKey, publicURL: config.portal.publicURL),
            queries: SQLPortalQueries(database: database), conversations: SQLConversationBrowser(database: database),
            formTokens: SQLPortalFormTokenStore(database: database, hasher: hasher, clock: clock),
            idleTimeout: TimeInterval(config.portal.idleMinutes * 60), maxAge: TimeInterval(config.portal.maxHours * 3600))
    }
}

/// The identity provider's discovery, key set and token endpoint over Tern's HTTP client: each
/// call has a deadline and its answer a size cap (the issuer is the admin's choice, so it does
/// not go through the tools' SSRF guard).
struct HTTPClientOIDCTransport: OIDCHTTPTransport {
    let httpClient: HTTPClient
    var timeout: TimeAmount = .seconds(10)
    /// Discovery documents and key sets are a few KiB; a larger answer is not a provider's.
    var maxBodyBytes = 1 << 20

    func get(_ url: String) async throws -> OIDCHTTPResponse {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        return try await send(request)
    }

    func postForm(_ url: String, form: [(String, String)], headers: [(String, String)]) async throws -> OIDCHTTPResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: OIDCForm.encode(form)))
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws -> OIDCHTTPResponse {
        var request = request
        request.headers.add(name: "User-Agent", value: "tern")
        // No logger is passed on: the token request carries the client secret.
        let response = try await httpClient.execute(request, deadline: .now() + timeout)
        let body = try await response.body.collect(upTo: maxBodyBytes)
        return OIDCHTTPResponse(status: Int(response.status.code), body: Array(body.readableBytesView))
    }

}
