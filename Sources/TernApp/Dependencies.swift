package import AsyncHTTPClient
import Foundation
package import Logging
package import TernAgent
package import TernCore
package import ServiceLifecycle
package import TernHTTP
package import TernJobs
import TernLLM
import TernMCP
package import TernMemory
package import TernStore
import TernTelegram
import TernTools

/// Every adapter, built once from the configuration and handed to the parts that use it.
package struct Dependencies: Sendable {
    package var config: TernConfig
    package var database: any DatabaseHandle
    package var conversations: any ConversationStore
    package var tenants: any TenantStore
    package var apiKeys: any APIKeyStore
    package var identity: IdentityResolver
    package var storeHealth: any StoreHealth
    package var model: any ModelProvider
    package var agent: AgentService
    package var modelReachability: ModelReachability
    /// Owned here; ``shutdown()`` closes it.
    package var httpClient: HTTPClient
    /// Background services besides the HTTP server (retention, when enabled).
    package var services: [any Service] = []
    /// Named diagnostics for the admin API.
    package var diagnostics: [String: @Sendable () async -> JSONValue] = [:]
    /// Human approvals of risky tool calls (also reachable through ``agent``).
    package var approvals: ApprovalCenter
    /// This process's instance beat (also one of ``services``); beat once before serving.
    package var instanceHeartbeat: InstanceHeartbeatService
    /// The server's connection limits and hang-up watch (`TERN_MAX_CONNECTIONS`, deadlines,
    /// trusted proxies); the router and the server share it.
    package var connections: ConnectionWatch
    /// Rate limits of every authenticated route.
    package var rateLimiter: RateLimiter
    /// The HTTP layer's clock.
    package var clock: any WallClock = SystemWallClock()
    /// Per-context MCP servers (admin API and CLI).
    package var mcpAdmin: any MCPServerAdmin
    /// Per-context credentials (admin API and CLI).
    package var credentials: CredentialVault
    /// Every MCP connection; ``shutdown()`` closes them.
    var mcpPool: MCPClientPool
    /// This replica's leader-election state for `/readyz`; `nil` when nothing runs leader-only.
    package var leaderState: (@Sendable () -> String)?
    /// The admin portal's sign-in (sessions, login links, OIDC when configured).
    package var portal: PortalDependencies
    /// Contexts' memory (admin API, CLI); the agent holds its turn side.
    package var memory: MemoryService
    /// Memory writes after turns; ``shutdown()`` waits for them.
    package var memoryWrites: MemoryWriter

    /// Opens the database (creating it and applying migrations on first start) and builds the
    /// adapters. Call ``shutdown()`` when done. `overrides` is for tests: `tern serve` passes none.
    package static func live(
        config: TernConfig, logger: Logger, overrides: DependencyOverrides = .init()
    ) async throws -> Dependencies {
        let secret = try config.secretKey ?? SecretKeyFile.load(dataDir: config.dataDir)
        let database = try await openDatabase(config, logger: logger, databaseLogger: overrides.databaseLogger)
        do {
            try await Migrator(database: database, logger: logger.labelled("tern.store.migrate")).migrate()
            try await SecretsKeys.refuseUnopenable(config: config, database: database, secretKey: secret)
        } catch {
            try await database.close()
            throw error
        }
        // A refused connection fails at once (the pool would retry it until the connect timeout,
        // 10 s per try to a stopped model server); callers retry briefly themselves.
        let httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: config.llm.map { Self.openAIClientConfiguration($0).httpClientConfiguration }
                ?? OpenAIClientConfiguration(baseURL: "").httpClientConfiguration)
        let model: any ModelProvider
        if let replaced = overrides.model {
            model = replaced
        } else if let llm = config.llm {
            model = Self.makeOpenAIClient(llm, httpClient: httpClient, logger: logger.labelled("tern.llm"))
        } else {
            model = MissingModelProvider()
        }
        let stored = SQLConversationStore(database: database)
        let conversations = overrides.conversations?(stored) ?? stored
        let epoch = MembershipEpoch()
        let cacheMaxAge = overrides.cacheMaxAge ?? TenantCache.defaultMaxAge
        let memory = makeMemory(
            config: config, database: database, model: model, httpClient: httpClient, cacheMaxAge: cacheMaxAge,
            logger: logger)
        let tenants = SQLTenantStore(database: database, epoch: epoch, cacheMaxAge: cacheMaxAge)
        let apiKeys = SQLAPIKeyStore(
            database: database, hasher: APIKeyHasher(secretKey: secret), epoch: epoch, cacheMaxAge: cacheMaxAge)
        var forwardedTokens: (any ForwardedTokenVerifier)? = overrides.forwardedTokens
        if forwardedTokens == nil, let jwtSecret = config.openWebUIJWTSecret {
            forwardedTokens = await OpenWebUIJWTVerifier(secret: jwtSecret)
        }
        let channels = SQLChannelStore(database: database, hasher: APIKeyHasher(secretKey: secret))
        let identity = IdentityResolver(
            tenants: tenants, keys: apiKeys, staticKeys: config.apiKeys, proxyKeys: config.trustedProxyKeys,
            forwardedTokens: forwardedTokens, openLoopback: config.openLoopback,
            linkedAccounts: config.telegram.map { LinkedAccounts(channels: channels, allowedTelegramUsers: $0.allowedUsers) },
            logger: logger.labelled("tern.identity"))
        let instance = InstanceID.random()
        let liveness = InstanceLiveness()
        let approvalStore = SQLApprovalStore(database: database)
        let approvals = ApprovalCenter(
            store: overrides.approvalStore?(approvalStore) ?? approvalStore, instance: instance, liveness: liveness,
            logger: logger.labelled("tern.agent.approvals"))
        let heartbeat = InstanceHeartbeatService(
            instances: SQLInstanceStore(database: database), instance: instance, liveness: liveness,
            logger: logger.labelled("tern.jobs.instances"), afterBeat: { try await approvals.expireOrphans() })
        let mcp = MCPComponents.make(
            config: config, database: database, secretKey: secret, cacheMaxAge: cacheMaxAge,
            logger: logger.labelled("tern.mcp"))
        let tooling: AgentTooling
        let cache: FetchCache?
        do {
            (tooling, cache) = try await makeTooling(
                config: config, tenants: tenants, database: database, approvals: approvals, epoch: epoch,
                extraSources: [mcp.pool], tools: overrides.tools, memoryTools: try memoryTools(memory.service),
                cacheMaxAge: cacheMaxAge, logger: logger)
        } catch {
            try await httpClient.shutdown()
            try await database.close()
            throw error
        }
        let agent = AgentService(
            store: conversations, model: model, settings: agentSettings(config), tooling: tooling,
            usageStore: SQLUsageStore(database: database), memory: memory.turn, logger: logger.labelled("tern.agent"))
        var services: [any Service] = [MCPPoolService(pool: mcp.pool, logger: logger.labelled("tern.mcp")), heartbeat]
        if database.dialect == .sqlite {
            // Merges what this process's memory writes split the keyword index into (the CLI
            // merges after its own loads).
            services.append(
                KeywordIndexUpkeepService(store: memory.service.store, logger: logger.labelled("tern.jobs.keyword_index")))
        }
        var diagnostics: [String: @Sendable () async -> JSONValue] = [
            "mcp": { await mcp.pool.diagnostics() }, "instance": { .string(instance.rawValue) },
        ]
        // Run-once work shares one leadership: with several replicas exactly one runs it.
        var leaderOnly: [(name: String, service: any Service)] = []
        if let telegram = config.telegram {
            let bot = TelegramService(
                client: BotAPIClient(
                    token: telegram.token, httpClient: httpClient, baseURL: telegram.apiURL,
                    logger: logger.labelled("tern.telegram.api")),
                channels: channels, tenants: tenants,
                turns: TurnGateway(identity: identity, store: conversations, agent: agent),
                settings: TelegramSettings(
                    maxConcurrentChats: telegram.maxChats, allowGroups: telegram.groups, streamEdits: telegram.stream),
                logger: logger.labelled("tern.telegram"))
            diagnostics["telegram"] = { Self.json(bot.status) }
            leaderOnly.append(("telegram", bot))
        }
        if config.retentionDays > 0 {
            leaderOnly.append(
                (
                    "retention",
                    RetentionService(
                        store: SQLRetentionStore(database: database), days: config.retentionDays,
                        logger: logger.labelled("tern.jobs.retention"))
                ))
        }
        var leaderState: (@Sendable () -> String)?
        if !leaderOnly.isEmpty {
            let election = LeaderElection(
                backend: LeaderElection.backend(for: database), logger: logger.labelled("tern.leader"))
            let names = leaderOnly.map(\.name)
            diagnostics["leader"] = { Self.json(election.status, services: names) }
            leaderState = { election.status.state.rawValue }
            services.append(
                LeaderOnlyService(
                    election: election, services: leaderOnly.map(\.service), logger: logger.labelled("tern.leader")))
        }
        let httpLogger = logger.labelled("tern.http")
        var portal = makePortal(
            config: config, database: database, secretKey: secret, tenants: tenants, httpClient: httpClient,
            clock: overrides.clock ?? SystemWallClock(), logger: logger.labelled("tern.portal"))
        portal.addSystemPages(config: config, database: database, tooling: tooling)
        return Dependencies(
            config: config, database: database, conversations: conversations, tenants: tenants,
            apiKeys: apiKeys, identity: identity, storeHealth: DatabaseHealth(database: database), model: model, agent: agent,
            modelReachability: ModelReachability(
                model: config.llm == nil && overrides.model == nil ? nil : model,
                logger: logger.labelled("tern.llm.reachability")),
            httpClient: httpClient, services: services,
            diagnostics: diagnostics.merging(cache.map { cache in ["web_cache": { await Self.json(cache.stats) }] } ?? [:]) { $1 },
            approvals: approvals, instanceHeartbeat: heartbeat,
            connections: ConnectionWatch(
                limits: config.server, trustedProxies: config.clients.trustedProxies, logger: httpLogger),
            rateLimiter: overrides.rateLimiter
                ?? RateLimiter(settings: config.clients.rateLimits, logger: logger.labelled("tern.http.rate_limit")),
            clock: overrides.clock ?? SystemWallClock(),
            mcpAdmin: mcp.admin, credentials: mcp.credentials, mcpPool: mcp.pool, leaderState: leaderState,
            portal: portal, memory: memory.service, memoryWrites: memory.turn.writer)
    }

    static func json(_ stats: FetchCache.Stats) -> JSONValue {
        [
            "hits": .number(Double(stats.hits)), "misses": .number(Double(stats.misses)),
            "evictions": .number(Double(stats.evictions)), "entries": .number(Double(stats.entries)),
            "bytes": .number(Double(stats.bytes)),
        ]
    }

    static func json(_ status: LeaderElection.Status, services: [String]) -> JSONValue {
        [
            "state": .string(status.state.rawValue),
            "since": status.since.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null,
            "last_error": status.lastError.map(JSONValue.string) ?? .null,
            "terms": .number(Double(status.terms)), "services": .array(services.map(JSONValue.string)),
        ]
    }

    static func json(_ status: TelegramService.Status) -> JSONValue {
        [
            "offset": status.offset.map { .number(Double($0)) } ?? .null,
            "queue_depth": .number(Double(status.queueDepth)), "active_chats": .number(Double(status.activeChats)),
            "last_poll_at": status.lastPollAt.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null,
            "last_error": status.lastError.map(JSONValue.string) ?? .null,
        ]
    }

    /// The one way into a turn (Telegram and the HTTP API build theirs from the same parts).
    package var turns: TurnGateway { TurnGateway(identity: identity, store: conversations, agent: agent) }

    /// What the HTTP layer needs.
    package var http: HTTPDependencies {
        var http = HTTPDependencies(
            conversations: conversations, storeHealth: storeHealth, agent: agent,
            modelReachability: modelReachability, identity: identity, tenants: tenants, apiKeys: apiKeys,
            connections: connections, clock: clock, diagnostics: diagnostics, mcpServers: mcpAdmin, credentials: credentials,
            audit: SQLAuditStore(database: database),
            rateLimiter: rateLimiter, leaderState: leaderState, portal: portal)
        http.memory = memory
        return http
    }

    /// Makes this instance known before it serves: its heartbeat is written, and approvals that
    /// instances gone since asked for are expired (fail closed). SQLite has one process, so every
    /// other instance is gone.
    package func announceInstance() async throws {
        try await instanceHeartbeat.beat()
        let singleProcess = if case .sqlite = config.database { true } else { false }
        try await approvals.expireOrphans(othersGone: singleProcess)
    }

    /// Closes MCP connections (stdio servers stop), the HTTP client and the database.
    package func shutdown() async throws {
        await mcpPool.closeAll()
        // Memory writes of finished turns (bounded retries) land before the database closes.
        await memoryWrites.idle()
        // The database is closed even when the HTTP client fails to shut down (a request still
        // running): an unclosed SQLite connection must not outlive this.
        var failure: (any Error)?
        do {
            try await httpClient.shutdown()
        } catch {
            failure = error
        }
        try await database.close()
        if let failure { throw failure }
    }
}

extension Logger {
    /// A logger with another label and the same level.
    package func labelled(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }
}
