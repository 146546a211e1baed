package import Hummingbird
package import Logging
package import TernAgent
package import TernCore
package import TernMemory

/// Everything the HTTP layer needs, built once by the composition root.
package struct HTTPDependencies: Sendable {
    package var conversations: any ConversationStore
    package var storeHealth: any StoreHealth
    package var agent: AgentService
    package var modelReachability: ModelReachability
    package var identity: IdentityResolver
    package var tenants: any TenantStore
    package var apiKeys: any APIKeyStore
    /// Must be the one whose ``ConnectionWatch/serverBuilder`` serves the router.
    package var connections: ConnectionWatch
    package var clock: any WallClock
    /// Named diagnostics for admins (`GET /admin/api/v1/diagnostics`), e.g. the fetch cache's
    /// counters; each closure is asked at request time.
    package var diagnostics: [String: @Sendable () async -> JSONValue] = [:]
    /// Per-context MCP servers for the admin API.
    package var mcpServers: any MCPServerAdmin
    /// Per-context credentials for the admin API.
    package var credentials: CredentialVault
    /// The audit log every admin change is written to (``AuditMiddleware``) and `GET audit` reads.
    package var audit: any AuditStore
    /// Rate limits of every authenticated route (``RouterGroup/authenticated(_:)``).
    package var rateLimiter: RateLimiter
    /// This replica's part in the leader election (`leading`, `waiting`, `error`, …) for
    /// `/readyz`; `nil` when nothing runs leader-only.
    package var leaderState: (@Sendable () -> String)?
    /// The admin portal's sign-in (OIDC, sessions, login links); `nil` leaves `/admin/...` pages out.
    package var portal: PortalDependencies?
    /// Contexts' memory for the admin API; `nil` answers its routes with 503.
    package var memory: MemoryService?

    package init(
        conversations: any ConversationStore, storeHealth: any StoreHealth, agent: AgentService,
        modelReachability: ModelReachability, identity: IdentityResolver, tenants: any TenantStore,
        apiKeys: any APIKeyStore, connections: ConnectionWatch,
        clock: any WallClock = SystemWallClock(), diagnostics: [String: @Sendable () async -> JSONValue] = [:],
        mcpServers: any MCPServerAdmin, credentials: CredentialVault, audit: any AuditStore,
        rateLimiter: RateLimiter = RateLimiter(),
        leaderState: (@Sendable () -> String)? = nil, portal: PortalDependencies? = nil
    ) {
        self.portal = portal
        self.rateLimiter = rateLimiter
        self.leaderState = leaderState
        self.diagnostics = diagnostics
        self.mcpServers = mcpServers
        self.credentials = credentials
        self.audit = audit
        self.conversations = conversations
        self.storeHealth = storeHealth
        self.agent = agent
        self.modelReachability = modelReachability
        self.identity = identity
        self.tenants = tenants
        self.apiKeys = apiKeys
        self.connections = connections
        self.clock = clock
    }
}

extension HTTPDependencies {
    /// The one way into a turn for the OpenAI and agent APIs.
    package var turns: TurnGateway { TurnGateway(identity: identity, store: conversations, agent: agent) }
}

/// Routes a layer above this one adds to Tern's router: the admin portal's pages (TernPortal).
package protocol RouteProvider: Sendable {
    func addRoutes(to router: Router<TernRequestContext>)
}

/// Builds Tern's router: health probes in the open, the OpenAI API behind bearer auth, every
/// error in OpenAI's JSON shape, and `pages` (the admin portal) when given.
package func buildRouter(_ dependencies: HTTPDependencies, pages: (any RouteProvider)? = nil) -> Router<TernRequestContext> {
    let router = Router(context: TernRequestContext.self)
    // First: everything deep before a response is written runs in a child task (see there).
    router.add(middleware: PreStreamTaskMiddleware(connections: dependencies.connections))
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: OversizedBodyMiddleware(connections: dependencies.connections))
    HealthController(
        store: dependencies.storeHealth, model: dependencies.modelReachability, leader: dependencies.leaderState
    )
    .addRoutes(to: router)
    OpenAPIController().addRoutes(to: router)
    let v1 = router.group("v1").authenticated(dependencies)
    OpenAIController(turns: dependencies.turns, connections: dependencies.connections, clock: dependencies.clock)
        .addRoutes(to: v1.group().add(middleware: ChatBodyLimitMiddleware(maxBytes: dependencies.connections.limits.maxChatBodyBytes)))
    AgentController(turns: dependencies.turns, connections: dependencies.connections).addRoutes(to: v1)
    let admin = router.group("admin/api/v1").authenticated(dependencies)
        .add(middleware: AdminOnlyMiddleware())
        .add(
            middleware: AuditMiddleware(
                store: dependencies.audit, connections: dependencies.connections, clock: dependencies.clock,
                logger: Logger(label: "tern.http.audit")))
    AdminController(
        tenants: dependencies.tenants, keys: dependencies.apiKeys, agent: dependencies.agent, clock: dependencies.clock,
        mcpServers: dependencies.mcpServers, credentials: dependencies.credentials, audit: dependencies.audit,
        memory: dependencies.memory
    )
    .addRoutes(to: admin)
    let diagnostics = dependencies.diagnostics
    admin.get("diagnostics") { _, _ -> Response in
        var report: [String: JSONValue] = [:]
        for (name, read) in diagnostics { report[name] = await read() }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: JSONValue.object(report).jsonText)))
    }
    pages?.addRoutes(to: router)
    // Last: it only sees requests no route above took.
    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
    return router
}
