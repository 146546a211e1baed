import Foundation
import Logging
import ServiceLifecycle
import TernCore
import TernMCP
import TernNetwork
import TernStore
import TernTools

/// MCP servers in the running server: the pool (a tool source for the agent), the admin side
/// (API and CLI), and the service that closes idle connections.
struct MCPComponents: Sendable {
    let pool: MCPClientPool
    let admin: MCPServerAdminService
    /// The credentials `${cred:NAME}` references resolve from.
    let credentials: CredentialVault

    /// Builds the pool over the global servers of `mcp.yaml` and the `mcp_servers` table; secrets
    /// at rest are sealed under a key derived from the server secret.
    /// `cacheMaxAge`: how long the per-context server list is trusted before it is read again.
    static func make(
        config: TernConfig, database: any DatabaseHandle, secretKey: [UInt8],
        cacheMaxAge: Duration = TenantCache.defaultMaxAge, logger: Logger
    ) -> MCPComponents {
        let networkGuard = NetworkGuard(
            policy: URLPolicy(allowedPorts: config.tools.networkPorts, allowList: config.tools.networkAllow),
            resolver: SystemHostResolver())
        let box = AESGCMSecretBox(secretKey: secretKey, previous: config.secretKeyPrevious)
        let credentials = CredentialVault(store: SQLCredentialStore(database: database), box: box)
        let catalog = MCPServerCatalog(
            store: SQLMCPServerStore(database: database, cacheMaxAge: cacheMaxAge), globals: config.mcp.servers,
            secretBox: box,
            credentials: credentials)
        let toolTimeout = Duration.milliseconds(Int64(config.agent.toolTimeoutSeconds * 1000))
        let connector = MCPConnector(
            timeouts: MCPTimeouts(
                connect: .milliseconds(Int64(config.mcp.connectTimeoutSeconds * 1000)), callTool: toolTimeout),
            logger: logger,
            makeTransport: MCPTransports.live(networkGuard: networkGuard, httpRequestTimeout: toolTimeout, logger: logger))
        let pool = MCPClientPool(
            directory: catalog, connector: connector,
            settings: MCPPoolSettings(idleTimeout: .milliseconds(Int64(config.mcp.idleSeconds * 1000))), logger: logger)
        return MCPComponents(
            pool: pool, admin: MCPServerAdminService(catalog: catalog, pool: pool, networkGuard: networkGuard),
            credentials: credentials)
    }
}

/// Closes idle MCP connections while the server runs, and every connection when it stops (so
/// no stdio server outlives Tern).
struct MCPPoolService: Service {
    let pool: MCPClientPool
    let logger: Logger

    func run() async throws {
        let sweeper = Task { await pool.run() }
        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled rather than asked to shut down: still stop every server below.
            logger.debug("MCP pool service cancelled", metadata: ["error": "\(error)"])
        }
        sweeper.cancel()
        // In a task of its own: closing in this (possibly cancelled) task would skip the
        // servers' graceful stop (stdin closed, SIGTERM, grace) and go straight to SIGKILL.
        let servers = pool
        await Task { await servers.closeAll() }.value
    }
}
