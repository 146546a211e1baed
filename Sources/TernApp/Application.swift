package import Hummingbird
package import Logging
package import NIOCore
import ServiceLifecycle
import TernHTTP

/// Builds the HTTP application for a configuration and its dependencies.
///
/// The router and the server share one ``ConnectionWatch`` carrying the configured limits
/// (deadlines, body cap, stream keep-alives, trusted proxies); the server accepts at most
/// `TERN_MAX_CONNECTIONS` connections at once. One ``RateLimiter`` serves every route.
package func buildApplication(
    config: TernConfig, dependencies: Dependencies, logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let httpLogger = logger.labelled("tern.http")
    let router = buildRouter(dependencies.http, pages: dependencies.portalPages)
    return Application(
        router: router,
        server: dependencies.connections.serverBuilder,
        configuration: .init(
            address: .hostname(config.host, port: config.port), serverName: "tern",
            availableConnectionsDelegate: ConnectionLimit(
                maxConnections: config.server.maxConnections, logger: httpLogger)),
        services: [dependencies.modelReachability] + dependencies.services,
        onServerRunning: onServerRunning,
        logger: httpLogger)
}
