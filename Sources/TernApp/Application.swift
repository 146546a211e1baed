import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TernHTTP

/// Builds the HTTP application for a configuration and its dependencies.
package func buildApplication(
    config: TernConfig, dependencies: Dependencies, logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(dependencies.http)
    return Application(
        router: router,
        server: dependencies.connections.serverBuilder,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "tern"),
        services: [dependencies.modelReachability] + dependencies.services,
        onServerRunning: onServerRunning,
        logger: logger.labelled("tern.http"))
}
