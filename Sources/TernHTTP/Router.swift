import Hummingbird
import TernAgent
import TernCore

/// Everything the HTTP layer needs, built once by the composition root.
package struct HTTPDependencies: Sendable {
    package var conversations: any ConversationStore
    package var storeHealth: any StoreHealth
    package var agent: AgentService
    package var modelReachability: ModelReachability
    package var apiKeys: [String]
    /// Must be the one whose ``ConnectionWatch/serverBuilder`` serves the router.
    package var connections: ConnectionWatch
    package var clock: any WallClock

    package init(
        conversations: any ConversationStore, storeHealth: any StoreHealth, agent: AgentService,
        modelReachability: ModelReachability, apiKeys: [String], connections: ConnectionWatch,
        clock: any WallClock = SystemWallClock()
    ) {
        self.conversations = conversations
        self.storeHealth = storeHealth
        self.agent = agent
        self.modelReachability = modelReachability
        self.apiKeys = apiKeys
        self.connections = connections
        self.clock = clock
    }
}

/// Builds Tern's router: health probes in the open, the OpenAI API behind bearer auth, every
/// error in OpenAI's JSON shape.
package func buildRouter(_ dependencies: HTTPDependencies) -> Router<TernRequestContext> {
    let router = Router(context: TernRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    HealthController(store: dependencies.storeHealth, model: dependencies.modelReachability)
        .addRoutes(to: router)
    let v1 = router.group("v1").add(middleware: BearerAuthMiddleware(keys: dependencies.apiKeys))
    OpenAIController(
        store: dependencies.conversations, agent: dependencies.agent, connections: dependencies.connections,
        clock: dependencies.clock)
        .addRoutes(to: v1)
    return router
}
