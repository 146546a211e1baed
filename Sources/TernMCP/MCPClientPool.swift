import Foundation
package import Logging
import Synchronization
package import TernCore

/// How the pool treats connections.
package struct MCPPoolSettings: Sendable, Equatable {
    /// A connection unused this long is closed (a stdio server's process ends).
    package var idleTimeout: Duration
    /// A connection unused this long is pinged before it is used again.
    package var healthCheckAfter: Duration
    /// First wait after a failed connection attempt; doubles per failure (with jitter).
    package var backoffBase: Duration
    /// Longest wait between attempts.
    package var backoffLimit: Duration
    /// How long a turn waits for a server that is still connecting or listing its tools; after
    /// that the turn goes on without them and the attempt finishes in the background (its
    /// tools join the next turn), so a slow or hanging server cannot slow every turn down.
    package var turnWait: Duration

    package init(
        idleTimeout: Duration = .seconds(600), healthCheckAfter: Duration = .seconds(60),
        backoffBase: Duration = .seconds(1), backoffLimit: Duration = .seconds(60), turnWait: Duration = .seconds(10)
    ) {
        self.idleTimeout = idleTimeout
        self.healthCheckAfter = healthCheckAfter
        self.backoffBase = backoffBase
        self.backoffLimit = backoffLimit
        self.turnWait = turnWait
    }

    /// The waits after failed attempts: after `n` consecutive failures (attempt `n - 1`),
    /// `base·2^(n-1)` capped at the limit, times a random factor in [0.5, 1] ("equal jitter") so
    /// many contexts do not retry in step.
    package var backoff: Backoff { Backoff(base: backoffBase, cap: backoffLimit, jitter: 0.5) }
}

/// Every context's MCP connections: connects lazily, reuses, closes when idle, pings a
/// connection that sat unused before using it again, reconnects after failures with
/// exponential backoff and jitter, and caches each server's tool list until the server says
/// it changed (`notifications/tools/list_changed`) or its definition changes.
///
/// Connections are per (context, server), also for global servers: no state a server keeps
/// for its client is shared between tenants.
package actor MCPClientPool: ToolSource {
    private struct Key: Hashable {
        var context: ContextID
        var server: String
    }

    private struct Entry {
        var descriptor: MCPServerDescriptor
        var session: MCPSession?
        var connecting: Task<MCPSession, any Error>?
        var listing: Task<[MCPTool], any Error>?
        var tools: [MCPTool]?
        var toolsStale = false
        var failures = 0
        var retryAt: ContinuousClock.Instant?
        var lastError: String?
        var latency: Duration?
        var lastUsed: ContinuousClock.Instant
        /// Calls running now; an entry with calls in flight is never closed as idle.
        var inFlight = 0
        /// Tells this entry from a later one under the same key (after the definition changed):
        /// work started for an old entry must not write into a new one.
        let generation: Int

        init(descriptor: MCPServerDescriptor, now: ContinuousClock.Instant, generation: Int) {
            self.descriptor = descriptor
            self.lastUsed = now
            self.generation = generation
        }
    }

    private let directory: any MCPServerDirectory
    private let connector: MCPConnector
    private let settings: MCPPoolSettings
    private let logger: Logger
    private let random: @Sendable () -> Double
    private let onToolsChanged: @Sendable (_ server: String, _ context: ContextID) -> Void
    private var entries: [Key: Entry] = [:]
    private var generations = 0

    /// - Parameters:
    ///   - random: a uniform draw in [0, 1) per backoff (``Backoff/delay(forAttempt:retryAfter:unit:)``;
    ///     random by default, fixed in tests: 0 gives the longest wait).
    ///   - onToolsChanged: told when a server said its tool list changed, after the cached list was
    ///     marked stale (the next ``tools(for:)`` lists again); tests await it instead of polling.
    package init(
        directory: any MCPServerDirectory, connector: MCPConnector, settings: MCPPoolSettings = MCPPoolSettings(),
        logger: Logger, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        onToolsChanged: @escaping @Sendable (_ server: String, _ context: ContextID) -> Void = { _, _ in }
    ) {
        self.directory = directory
        self.connector = connector
        self.settings = settings
        self.logger = logger
        self.random = random
        self.onToolsChanged = onToolsChanged
    }

    // MARK: ToolSource

    /// The tools of the context's enabled servers. A server that cannot be reached contributes
    /// no tools this turn (its status says why); the others are unaffected. Tool lists are
    /// cached, so a turn normally costs one directory read and no MCP traffic.
    package func tools(for context: ContextID) async throws -> [any TernCore.Tool] {
        var descriptors: [MCPServerDescriptor] = []
        var names: Set<String> = []
        for descriptor in try await directory.descriptors(for: context) {
            guard names.insert(descriptor.name).inserted else {
                // mcp.yaml gained a name a context already uses: the global one (listed first) wins.
                logger.warning(
                    "two MCP servers with one name; the second is ignored",
                    metadata: ["mcp_server": "\(descriptor.name)", "context": "\(context)", "scope": "\(descriptor.scope.rawValue)"])
                continue
            }
            descriptors.append(descriptor)
        }
        await forget(context: context, keeping: descriptors)
        let enabled = descriptors.filter(\.enabled)
        var tools: [any TernCore.Tool] = []
        // Servers connect concurrently; each is bounded by the connector's timeouts.
        await withTaskGroup(of: [MCPTool].self) { group in
            for descriptor in enabled {
                group.addTask { await self.toolsOf(descriptor, in: context) }
            }
            for await list in group { tools += list }
        }
        return tools.sorted { $0.spec.name < $1.spec.name }
    }

    // MARK: Calls

    /// Calls `tool` (the server's own name) on `server` for `context`; reconnects first when
    /// the connection is gone or fails its health check.
    /// - Throws: ``MCPClientError`` when the server cannot be reached or does not answer.
    package func call(
        server: String, tool: String, arguments: [String: JSONValue]?, in context: ContextID
    ) async throws -> MCPCallResult {
        let key = Key(context: context, server: server)
        do {
            return try await callOnce(key, tool: tool, arguments: arguments)
        } catch MCPClientError.sessionExpired {
            // The server refused the request with 404 (it never ran it): safe to send it again
            // on a new, re-initialised session.
            logger.info("MCP session expired; re-initialising", metadata: ["mcp_server": "\(server)", "context": "\(context)"])
            return try await callOnce(key, tool: tool, arguments: arguments)
        }
    }

    private func callOnce(_ key: Key, tool: String, arguments: [String: JSONValue]?) async throws -> MCPCallResult {
        let session = try await usableSession(for: key)
        let generation = entries[key]?.generation
        entries[key]?.lastUsed = .now
        entries[key]?.inFlight += 1
        defer {
            if entries[key]?.generation == generation {
                entries[key]?.inFlight -= 1
                entries[key]?.lastUsed = .now
            }
        }
        do {
            return try await session.callTool(tool, arguments: arguments)
        } catch let error as MCPClientError {
            if session.isClosed || error.endsTheConnection { sessionEnded(key, session: session, error: error) }
            throw error
        }
    }

    /// Connects afresh, outside the pool, for `tern mcp test`: lists tools, pings, closes.
    package func probe(_ descriptor: MCPServerDescriptor) async throws -> MCPServerTestReport {
        let endpoint = try await descriptor.resolve()
        let session = try await connector.connect(endpoint)
        do {
            let tools = try await session.listTools()
            let rtt = try await session.ping()
            let adapted = MCPTool.adapt(tools, server: descriptor.name, context: "probe", pool: self, logger: logger)
            await session.close()
            return MCPServerTestReport(
                protocolVersion: session.protocolVersion, serverName: session.serverInfo.name,
                serverVersion: session.serverInfo.version,
                tools: adapted.map {
                    .init(name: $0.spec.name, serverToolName: $0.serverToolName, description: $0.spec.description, risk: $0.spec.risk)
                },
                connectTime: session.connectTime, pingRoundTrip: rtt)
        } catch {
            await session.close()
            throw error
        }
    }

    // MARK: Status and upkeep

    /// Returns once the open connection to `server` in `context` has ended (its process exited,
    /// its stream broke, it was closed), at once if there is none, or when the caller is cancelled.
    package func waitUntilConnectionEnds(server: String, in context: ContextID) async {
        guard let session = entries[Key(context: context, server: server)]?.session else { return }
        await session.waitUntilClosed()
    }

    /// The state of one server for a context, as this process sees it.
    package func status(of server: String, in context: ContextID, enabled: Bool) -> MCPServerStatus {
        guard enabled else { return MCPServerStatus(state: .disabled) }
        guard let entry = entries[Key(context: context, server: server)] else { return MCPServerStatus(state: .idle) }
        let state: MCPServerStatus.State =
            if entry.session.map({ !$0.isClosed }) ?? false { .connected } else if entry.retryAt != nil { .failing } else { .idle }
        return MCPServerStatus(
            state: state, lastError: entry.lastError,
            latencyMilliseconds: entry.latency.map { $0.timeInterval * 1000 }, toolCount: entry.tools?.count)
    }

    /// Every server this process has touched, per context, for diagnostics.
    package func diagnostics() -> JSONValue {
        var contexts: [String: JSONValue] = [:]
        for (key, entry) in entries {
            let status = status(of: key.server, in: key.context, enabled: entry.descriptor.enabled)
            var fields: [String: JSONValue] = [
                "state": .string(status.state.rawValue), "scope": .string(entry.descriptor.scope.rawValue),
            ]
            if let error = status.lastError { fields["last_error"] = .string(error) }
            if let latency = status.latencyMilliseconds { fields["latency_ms"] = .number(latency) }
            if let count = status.toolCount { fields["tools"] = .number(Double(count)) }
            var servers = contexts[key.context.rawValue]?.objectValue ?? [:]
            servers[key.server] = .object(fields)
            contexts[key.context.rawValue] = .object(servers)
        }
        return .object(["connections": .number(Double(entries.values.count { $0.session != nil })), "contexts": .object(contexts)])
    }

    /// Closes connections unused for longer than the idle timeout. Tool lists stay cached.
    package func closeIdle(now: ContinuousClock.Instant = .now) async {
        var idle: [MCPSession] = []
        for (key, entry) in entries {
            guard let session = entry.session, entry.inFlight == 0, now - entry.lastUsed >= settings.idleTimeout
            else { continue }
            entries[key]?.session = nil
            idle.append(session)
        }
        for session in idle {
            logger.debug("closing idle MCP connection", metadata: ["mcp_server": "\(session.serverName)"])
            await session.close()
        }
    }

    /// Closes one context's connection to a server (it was disabled, changed or removed) and
    /// drops its cached tools.
    package func invalidate(server: String, in context: ContextID) async {
        guard let entry = entries.removeValue(forKey: Key(context: context, server: server)) else { return }
        entry.connecting?.cancel()
        await entry.session?.close()
    }

    /// Closes every connection (at shutdown).
    package func closeAll() async {
        let all = entries
        entries = [:]
        for entry in all.values {
            entry.connecting?.cancel()
            await entry.session?.close()
        }
    }

    /// Runs until cancelled, closing idle connections periodically. Call ``closeAll()`` after it
    /// (from a task that is not cancelled, so servers get their graceful stop).
    package func run() async {
        let interval = max(min(settings.idleTimeout / 2, .seconds(60)), .seconds(1))
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                break
            }
            await closeIdle()
        }
    }

    // MARK: Internals

    private func forget(context: ContextID, keeping descriptors: [MCPServerDescriptor]) async {
        let current = Dictionary(descriptors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (key, entry) in entries where key.context == context {
            guard let descriptor = current[key.server], descriptor.fingerprint == entry.descriptor.fingerprint,
                descriptor.enabled
            else {
                await invalidate(server: key.server, in: context)
                continue
            }
        }
    }

    private func toolsOf(_ descriptor: MCPServerDescriptor, in context: ContextID) async -> [MCPTool] {
        let key = Key(context: context, server: descriptor.name)
        if entries[key] == nil {
            generations += 1
            entries[key] = Entry(descriptor: descriptor, now: .now, generation: generations)
        }
        if let tools = entries[key]?.tools, entries[key]?.toolsStale == false { return tools }
        let task: Task<[MCPTool], any Error>
        if let running = entries[key]?.listing {
            task = running
        } else {
            task = Task { try await self.listTools(key) }
            entries[key]?.listing = task
        }
        switch await TaskWait.result(of: task, atMost: settings.turnWait) {
        case .finished(.success(let tools)):
            return tools
        case .finished(.failure(let error)):
            logger.warning(
                "MCP server offers no tools this turn",
                metadata: ["mcp_server": "\(descriptor.name)", "context": "\(context)", "error": "\(error)"])
        case .timedOut:
            logger.notice(
                "MCP server still connecting; this turn goes on without its tools",
                metadata: ["mcp_server": "\(descriptor.name)", "context": "\(context)", "waited": "\(settings.turnWait.shortDescription)"])
        }
        // Keep offering what it listed before: calls will say why they fail, and the tool set
        // the model sees does not flap with the server's health.
        return entries[key]?.tools ?? []
    }

    /// Connects if needed and lists the server's tools into the cache.
    private func listTools(_ key: Key) async throws -> [MCPTool] {
        let generation = entries[key]?.generation
        defer { if entries[key]?.generation == generation { entries[key]?.listing = nil } }
        let session = try await usableSession(for: key)
        let listed = try await session.listTools()
        let tools = MCPTool.adapt(listed, server: key.server, context: key.context, pool: self, logger: logger)
        if entries[key]?.generation == generation {
            entries[key]?.tools = tools
            entries[key]?.toolsStale = false
        }
        return tools
    }

    /// An open session for `key`: the current one if it is alive (pinged first when it sat
    /// unused), otherwise a new one — unless the last attempts failed and the backoff has not
    /// run out. One connection attempt at a time per key; concurrent callers share it.
    private func usableSession(for key: Key) async throws -> MCPSession {
        guard let entry = entries[key] else {
            throw MCPClientError.unavailable(server: key.server, reason: "not configured for this context (removed?)")
        }
        if let session = entry.session, !session.isClosed {
            guard ContinuousClock.now - entry.lastUsed >= settings.healthCheckAfter else { return session }
            do {
                let rtt = try await session.ping()
                entries[key]?.latency = rtt
                entries[key]?.lastUsed = .now
                return session
            } catch {
                logger.notice(
                    "MCP server failed its health check; reconnecting", metadata: ["mcp_server": "\(key.server)", "error": "\(error)"])
                sessionEnded(key, session: session, error: error)
            }
        } else if let session = entry.session {
            sessionEnded(key, session: session, error: session.closeReason)
        }
        if let task = entries[key]?.connecting { return try await task.value }
        if let retryAt = entries[key]?.retryAt, ContinuousClock.now < retryAt {
            let wait = retryAt - ContinuousClock.now
            throw MCPClientError.unavailable(
                server: key.server,
                reason:
                    "last connection attempt failed (\(entries[key]?.lastError ?? "unknown error")); next attempt in \(wait.shortDescription)"
            )
        }
        let descriptor = entry.descriptor
        let generation = entry.generation
        let connector = self.connector
        let task = Task { [weak self] in
            let endpoint = try await descriptor.resolve()
            return try await connector.connect(endpoint) { [weak self] in
                guard let self else { return }
                Task { await self.toolsChanged(key) }
            }
        }
        entries[key]?.connecting = task
        do {
            let session = try await task.value
            guard entries[key]?.generation == generation else {
                // Invalidated (removed, disabled or changed) while connecting.
                await session.close()
                throw MCPClientError.unavailable(server: key.server, reason: "its definition changed while connecting")
            }
            if let previous = entries[key]?.session, previous !== session { Task { await previous.close() } }
            entries[key]?.connecting = nil
            entries[key]?.session = session
            entries[key]?.failures = 0
            entries[key]?.retryAt = nil
            entries[key]?.lastError = nil
            entries[key]?.latency = session.connectTime
            entries[key]?.lastUsed = .now
            logger.info(
                "MCP server connected",
                metadata: ["mcp_server": "\(key.server)", "context": "\(key.context)", "protocol": "\(session.protocolVersion)"])
            return session
        } catch {
            if entries[key]?.generation == generation {
                let failures = (entries[key]?.failures ?? 0) + 1
                let wait = settings.backoff.delay(forAttempt: failures - 1, unit: random())
                entries[key]?.connecting = nil
                entries[key]?.failures = failures
                entries[key]?.retryAt = .now + wait
                entries[key]?.lastError = "\(error)"
                logger.warning(
                    "MCP server connection failed",
                    metadata: [
                        "mcp_server": "\(key.server)", "context": "\(key.context)", "error": "\(error)",
                        "retry_in": "\(wait.shortDescription)",
                    ])
            }
            throw error
        }
    }

    private func sessionEnded(_ key: Key, session: MCPSession, error: (any Error)?) {
        guard entries[key]?.session === session else { return }
        entries[key]?.session = nil
        if let error { entries[key]?.lastError = "\(error)" }
        logger.notice(
            "MCP connection ended; the next call reconnects",
            metadata: ["mcp_server": "\(key.server)", "context": "\(key.context)", "reason": "\(error.map { "\($0)" } ?? "unknown")"])
        Task { await session.close() }
    }

    private func toolsChanged(_ key: Key) {
        entries[key]?.toolsStale = true
        logger.info("MCP server's tools changed", metadata: ["mcp_server": "\(key.server)", "context": "\(key.context)"])
        onToolsChanged(key.server, key.context)
    }
}

/// Waits for a task's result, but not longer than a limit (`Task.value` itself cannot be given
/// up on: it ignores the cancellation of whoever awaits it).
enum TaskWait {
    enum Outcome<T: Sendable>: Sendable {
        case finished(Result<T, any Error>)
        case timedOut
    }

    /// The task's result, or `.timedOut` after `limit`; the task keeps running either way.
    static func result<T: Sendable>(of task: Task<T, any Error>, atMost limit: Duration) async -> Outcome<T> {
        let once = ResumeOnce<Outcome<T>>()
        return await withCheckedContinuation { continuation in
            once.set(continuation)
            let timer = Task {
                try await sleepReleasingTimer(for: limit)
                once.resume(.timedOut)
            }
            Task {
                let result = await task.result
                timer.cancel()
                once.resume(.finished(result))
            }
        }
    }
}

/// A continuation resumed by whichever caller comes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)

    func set(_ continuation: CheckedContinuation<T, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    func resume(_ value: T) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}
