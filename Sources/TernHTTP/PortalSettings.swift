package import Foundation
package import TernAgent
package import TernCore

/// Everything the portal's sign-in and pages need, built once by the composition root.
package struct PortalDependencies: Sendable {
    /// The configured identity provider; `nil` without `TERN_OIDC_ISSUER` (then only break-glass
    /// links sign in).
    package var oidc: OIDCProvider?
    /// Makes or finds the user of a provider account (with ``oidc``).
    package var accounts: OIDCAccountLinker?
    package var sessions: any AdminSessionStore
    package var loginLinks: any LoginLinkStore
    package var signer: PortalCookieSigner
    /// The synchronizer tokens of state-changing requests.
    package var csrf: PortalCSRF
    /// The read side of the pages.
    package var queries: any PortalQueries
    /// The conversations pages' search, transcripts and deletes.
    package var conversations: any ConversationBrowser
    /// The create forms' idempotency tokens.
    package var formTokens: any PortalFormTokenStore
    /// `TERN_ADMIN_SESSION_IDLE_MINUTES`, in seconds.
    package var idleTimeout: TimeInterval
    /// `TERN_ADMIN_SESSION_MAX_HOURS`, in seconds.
    package var maxAge: TimeInterval

    package init(
        oidc: OIDCProvider?, accounts: OIDCAccountLinker?, sessions: any AdminSessionStore, loginLinks: any LoginLinkStore,
        signer: PortalCookieSigner, csrf: PortalCSRF, queries: any PortalQueries, conversations: any ConversationBrowser,
        formTokens: any PortalFormTokenStore,
        idleTimeout: TimeInterval = 30 * 60, maxAge: TimeInterval = 12 * 3600
    ) {
        self.oidc = oidc
        self.accounts = accounts
        self.sessions = sessions
        self.loginLinks = loginLinks
        self.signer = signer
        self.csrf = csrf
        self.queries = queries
        self.conversations = conversations
        self.formTokens = formTokens
        self.idleTimeout = idleTimeout
        self.maxAge = maxAge
    }
}
