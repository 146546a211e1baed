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
    /// The Skills page's view of the skill files: those that failed to load and the check
    /// `tern skills check` runs, for pasted text.
    package var skills: PortalSkills = PortalSkills()
    /// The effective configuration, one row per key, secrets already masked (the Settings page).
    package var settings: [PortalSettingRow] = []
    /// The applied schema version (the newest migration), for the Diagnostics page; `nil`
    /// when unknown.
    package var schemaVersion: (@Sendable () async throws -> Int?)?

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

/// What the Skills page knows about skill files beyond the catalog.
package struct PortalSkills: Sendable {
    /// Checks a pasted `SKILL.md` as the loader checks a file (the same parser, the same known
    /// tools): `folder` is the name of the folder it would live in.
    package typealias Check = @Sendable (_ text: String, _ folder: String) -> PortalSkillCheck

    /// The files that did not load at start-up, with where and why.
    package var issues: [FileProblem]
    /// `nil` when the server has no skill loader (then the page says so).
    package var check: Check?

    package init(issues: [FileProblem] = [], check: Check? = nil) {
        self.issues = issues
        self.check = check
    }
}

/// The answer of ``PortalSkills/check``: the parsed skill, or every problem with its line.
package struct PortalSkillCheck: Sendable {
    package var skill: Skill?
    package var problems: [FileProblem]

    package init(skill: Skill?, problems: [FileProblem]) {
        self.skill = skill
        self.problems = problems
    }
}

/// One configuration key as the Settings page shows it: the value (a secret as "set" or
/// "not set", a database URL without its password) and where it came from.
package struct PortalSettingRow: Sendable, Equatable {
    /// The environment name, `TERN_PORT`.
    package var key: String
    /// The name in `tern.yaml`, `port`.
    package var yamlName: String
    package var value: String
    /// `environment`, `tern.yaml:12`, `flag --port` or `default`.
    package var source: String
    package var isSecret: Bool

    package init(key: String, yamlName: String, value: String, source: String, isSecret: Bool) {
        self.key = key
        self.yamlName = yamlName
        self.value = value
        self.source = source
        self.isSecret = isSecret
    }
}
