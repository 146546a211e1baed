package import Logging
package import TernAgent
package import TernCore
package import TernHTTP

/// The few parts of the live wiring a test may replace; `tern serve` replaces none.
///
/// Everything else (stores, caches, identity, tooling, approvals, MCP, limits, services) is built
/// by ``Dependencies/live(config:logger:overrides:)`` exactly as in production, from a
/// ``TernConfig`` the test writes like an operator would.
package struct DependencyOverrides: Sendable {
    /// The model instead of the configured server's client (a model that fails in a chosen way).
    package var model: (any ModelProvider)?
    /// Wraps the conversation store (to watch what a turn stores).
    package var conversations: (@Sendable (any ConversationStore) -> any ConversationStore)?
    /// Wraps the approval store (to be told when a turn asks for approval).
    package var approvalStore: (@Sendable (any ApprovalStore) -> any ApprovalStore)?
    /// Tools offered instead of the built-in ones (skills, permissions and approvals stay real).
    package var tools: [any Tool]?
    /// Verifies forwarded Open WebUI tokens instead of a verifier built from
    /// `TERN_OPENWEBUI_JWT_SECRET` (one with a fixed clock, for tokens made in the test).
    package var forwardedTokens: (any ForwardedTokenVerifier)?
    /// How long tenant, key and permission caches trust an entry (tests counting statements
    /// need entries that do not age).
    package var cacheMaxAge: Duration?
    /// The logger of the database (a test records the statements it logs at debug level).
    package var databaseLogger: Logger?
    /// The HTTP layer's clock (`created` of answers; snapshot tests fix it), also the clock of
    /// the portal's sessions, login links and OIDC checks (tests move it past their expiry).
    package var clock: (any WallClock)?
    /// The rate limiter instead of one built from the configuration (one on a clock the test
    /// moves by hand).
    package var rateLimiter: RateLimiter?

    package init(
        model: (any ModelProvider)? = nil,
        conversations: (@Sendable (any ConversationStore) -> any ConversationStore)? = nil,
        approvalStore: (@Sendable (any ApprovalStore) -> any ApprovalStore)? = nil, tools: [any Tool]? = nil,
        forwardedTokens: (any ForwardedTokenVerifier)? = nil, cacheMaxAge: Duration? = nil,
        databaseLogger: Logger? = nil, clock: (any WallClock)? = nil, rateLimiter: RateLimiter? = nil
    ) {
        self.rateLimiter = rateLimiter
        self.model = model
        self.conversations = conversations
        self.approvalStore = approvalStore
        self.tools = tools
        self.forwardedTokens = forwardedTokens
        self.cacheMaxAge = cacheMaxAge
        self.databaseLogger = databaseLogger
        self.clock = clock
    }
}
