import Foundation
package import Logging
import TernCore
package import TernNetwork

/// The production transports: a stdio server is spawned with exactly its configured
/// environment; an HTTP server is reached through the network guard (private addresses only
/// when the admin allow-listed them in `TERN_NETWORK_ALLOW`).
package enum MCPTransports {
    /// A factory for ``MCPConnector``.
    package static func live(
        networkGuard: NetworkGuard, httpRequestTimeout: Duration = .seconds(120), logger: Logger
    ) -> MCPConnector.TransportFactory {
        { endpoint in
            var logger = logger
            logger[metadataKey: "mcp_server"] = .string(endpoint.name)
            switch endpoint.transport {
            case .stdio(let command, let arguments, let environment):
                return StdioTransport(
                    serverName: endpoint.name, executable: command, arguments: arguments, environment: environment,
                    logger: logger)
            case .http(let url, let headers):
                return StreamableHTTPTransport(
                    serverName: endpoint.name, url: url, headers: headers, networkGuard: networkGuard,
                    requestTimeout: httpRequestTimeout, logger: logger)
            }
        }
    }
}
