import Foundation
package import Logging
import Synchronization
package import TernCore

/// How long each MCP operation may take.
package struct MCPTimeouts: Sendable, Equatable {
    /// Spawning or reaching the server plus `initialize`.
    package var connect: Duration
    /// One `tools/list` page.
    package var listTools: Duration
    /// One `tools/call`.
    package var callTool: Duration
    /// One `ping` (health checks must be quick).
    package var ping: Duration

    package init(
        connect: Duration = .seconds(30), listTools: Duration = .seconds(30), callTool: Duration = .seconds(120),
        ping: Duration = .seconds(5)
    ) {
        self.connect = connect
        self.listTools = listTools
        self.callTool = callTool
        self.ping = ping
    }
}

/// The result of `tools/call`, as the agent needs it.
package struct MCPCallResult: Sendable, Equatable {
    /// The content rendered as text for the model.
    package var text: String
    /// The server reported a tool error (`isError`): the model sees it as an error.
    package var isError: Bool
}

/// One initialised connection to one MCP server: Tern's JSON-RPC client
/// (``MCPRPCConnection``) over one of our transports, with every request bounded by a timeout
/// and failed at once when the connection ends.
package actor MCPSession {
    /// The server's name in Tern's configuration (for messages and logs).
    package nonisolated let serverName: String
    /// What the server answered to `initialize`.
    package nonisolated let protocolVersion: String
    package nonisolated let serverInfo: MCPServerInfo
    /// Time from spawn/connect to the end of `initialize`.
    package nonisolated let connectTime: Duration

    private let rpc: MCPRPCConnection
    private let transport: any ClosableTransport
    private let timeouts: MCPTimeouts
    private let closed: ClosedState
    private let monitor: Task<Void, Never>
    private let logger: Logger

    private init(
        serverName: String, logger: Logger, rpc: MCPRPCConnection, transport: any ClosableTransport,
        timeouts: MCPTimeouts, closed: ClosedState, monitor: Task<Void, Never>, protocolVersion: String,
        serverInfo: MCPServerInfo, connectTime: Duration
    ) {
        self.serverName = serverName
        self.logger = logger
        self.rpc = rpc
        self.transport = transport
        self.timeouts = timeouts
        self.closed = closed
        self.monitor = monitor
        self.protocolVersion = protocolVersion
        self.serverInfo = serverInfo
        self.connectTime = connectTime
    }

    /// Connects `transport` and runs the `initialize` handshake within `timeouts.connect`.
    /// - Parameters:
    ///   - onToolsChanged: called when the server sends `notifications/tools/list_changed`.
    ///   - onNotification: called with every notification's method and params (tests, logs).
    /// - Throws: ``MCPClientError`` (launch failure, refusal, timeout, closed, protocol error).
    ///   On failure everything started is torn down (the process group is killed).
    package static func open(
        serverName: String, transport: any ClosableTransport, timeouts: MCPTimeouts, logger: Logger,
        onToolsChanged: @escaping @Sendable () -> Void = {},
        onNotification: @escaping @Sendable (String, JSONValue?) -> Void = { _, _ in }
    ) async throws -> MCPSession {
        let rpc = MCPRPCConnection(transport: transport, server: serverName, logger: logger) { method, params in
            if method == "notifications/tools/list_changed" { onToolsChanged() }
            onNotification(method, params)
        }
        let closed = ClosedState()
        let monitor = Task {
            let reason = await transport.waitUntilClosed()
            closed.close(reason)
        }
        let start = ContinuousClock.now
        do {
            let (version, info) = try await race(
                serverName: serverName, operation: "initialize", timeout: timeouts.connect, closed: closed,
                body: { try await initialize(rpc, transport: transport, server: serverName) },
                abandon: { await rpc.stop(CancellationError()) })
            return MCPSession(
                serverName: serverName, logger: logger, rpc: rpc, transport: transport, timeouts: timeouts,
                closed: closed, monitor: monitor, protocolVersion: version, serverInfo: info,
                connectTime: ContinuousClock.now - start)
        } catch {
            await rpc.stop(error)
            await transport.disconnect()
            monitor.cancel()
            throw error
        }
    }

    /// Connects, sends `initialize`, checks the version the server chose and confirms with
    /// `notifications/initialized`.
    private static func initialize(_ rpc: MCPRPCConnection, transport: any ClosableTransport, server: String)
        async throws -> (String, MCPServerInfo)
    {
        try await transport.connect()
        await rpc.startReading()
        let answer = try await rpc.start(
            "initialize", params: MCPWire.initializeParams(clientName: "tern", clientVersion: "1.0"))
        let (version, info) = try MCPWire.initializeResult(try await answer.value, server: server)
        guard MCPProtocolVersion.supported.contains(version) else {
            throw MCPClientError.protocolViolation(
                server: server,
                message: "server chose protocol version \(version), which Tern does not speak "
                    + "(supported: \(MCPProtocolVersion.supported.sorted().joined(separator: ", ")))")
        }
        try await rpc.notify("notifications/initialized")
        return (version, info)
    }

    /// Whether the connection has ended (process exited, stream broke, closed by us).
    package nonisolated var isClosed: Bool { closed.reason != nil }

    /// Why the connection ended, once it has.
    package nonisolated var closeReason: MCPClientError? { closed.reason }

    /// Returns once the connection has ended, or when the caller is cancelled.
    package nonisolated func waitUntilClosed() async {
        await closed.signal.wait()
    }

    /// Every tool the server lists (following `nextCursor`, at most 100 pages).
    package func listTools() async throws -> [MCPToolDefinition] {
        var tools: [MCPToolDefinition] = []
        var cursor: String?
        for _ in 0..<100 {
            let params: JSONValue = cursor.map { ["cursor": .string($0)] } ?? [:]
            let result = try await perform("tools/list", params: params, operation: "tools/list", timeout: timeouts.listTools)
            let page = try MCPWire.toolsPage(result, server: serverName)
            tools += page.tools
            guard let next = page.next, !next.isEmpty else { return tools }
            cursor = next
        }
        throw MCPClientError.protocolViolation(server: serverName, message: "tools/list returned more than 100 pages")
    }

    /// Calls one tool. Whole numbers in `arguments` go out as JSON integers (JSON Schema's
    /// `integer` on the server side).
    package func callTool(_ name: String, arguments: [String: JSONValue]?) async throws -> MCPCallResult {
        var params: [String: JSONValue] = ["name": .string(name)]
        if let arguments { params["arguments"] = .object(arguments) }
        let result = try await perform(
            "tools/call", params: .object(params), operation: "tools/call \(name)", timeout: timeouts.callTool)
        return try MCPWire.callResult(result, server: serverName)
    }

    /// Sends `ping` and returns its round trip.
    @discardableResult
    package func ping() async throws -> Duration {
        let start = ContinuousClock.now
        _ = try await perform("ping", params: nil, operation: "ping", timeout: timeouts.ping)
        return ContinuousClock.now - start
    }

    /// Ends the connection (kills a stdio server's process group; ends an HTTP session).
    package func close() async {
        let reason = MCPClientError.connectionClosed(server: serverName, reason: "closed by Tern")
        closed.close(reason)
        await rpc.stop(reason)
        await transport.disconnect()
        monitor.cancel()
    }

    private func perform(_ method: String, params: JSONValue?, operation: String, timeout: Duration) async throws
        -> JSONValue
    {
        if let reason = closed.reason { throw reason }
        try Task.checkCancellation()
        let answer: MCPPendingAnswer
        do {
            answer = try await rpc.start(method, params: params)
        } catch {
            throw Self.mapped(error, server: serverName, closed: closed)
        }
        // The send runs on its own task: its errors (a refused session among them) come
        // through the answer, inside the race, so the timeout bounds a send that hangs too.
        let rpc = self.rpc
        return try await Self.race(
            serverName: serverName, operation: operation, timeout: timeout, closed: closed,
            body: { try await answer.value },
            abandon: {
                // Fails the pending request at once and tells the server to stop working on it.
                await rpc.cancel(answer, reason: "timed out or abandoned by Tern")
            })
    }

    /// Runs `body` against a timeout and the end of the connection, whichever comes first.
    /// When `body` loses, `abandon` gives the request up (and tells the server) on its own task.
    private static func race<T: Sendable>(
        serverName: String, operation: String, timeout: Duration, closed: ClosedState,
        body: @escaping @Sendable () async throws -> T, abandon: @escaping @Sendable () async -> Void
    ) async throws -> T {
        return try await withThrowingTaskGroup(of: RaceOutcome<T>.self) { group in
            group.addTask { .value(try await body()) }
            group.addTask {
                try await sleepReleasingTimer(for: timeout)
                return .timedOut
            }
            group.addTask {
                await closed.signal.wait()
                return .closed
            }
            // `abandon` runs on its own: it may have to write to a server that stopped reading,
            // and that must not hold up this call (the request is failed before the write).
            var graceGiven = false
            while true {
                let next: RaceOutcome<T>
                do {
                    next = try await group.next() ?? .closed
                } catch {
                    if case .connectionClosed? = error as? MCPClientError, closed.reason == nil {
                        // A failed write usually comes just before the process's own end, whose
                        // reason (the exit code) says more: give it a moment to arrive.
                        await closed.wait(atMost: .milliseconds(500))
                    }
                    Task { await abandon() }
                    group.cancelAll()
                    throw mapped(error, server: serverName, closed: closed)
                }
                switch next {
                case .value(let value):
                    group.cancelAll()
                    return value
                case .timedOut:
                    Task { await abandon() }
                    group.cancelAll()
                    throw MCPClientError.timedOut(server: serverName, operation: operation, after: timeout)
                case .closed where !graceGiven && closed.reason != nil:
                    // The request's own outcome (an answer that arrived just before the end, or
                    // its own error, such as a refused session) says more than the end: give
                    // it a moment. A session expiry ends the connection just before the refused
                    // request's own `sessionExpired` is thrown, and only that error lets the
                    // pool send the request again: give it longer (on a loaded machine 200 ms
                    // was not always enough, and the call failed as "connection closed").
                    graceGiven = true
                    let grace: Duration =
                        closed.reason == .sessionExpiryClose(server: serverName) ? .seconds(2) : .milliseconds(200)
                    group.addTask {
                        try await Task.sleep(for: grace)
                        return .closed
                    }
                case .closed:
                    Task { await abandon() }
                    group.cancelAll()
                    if let reason = closed.reason { throw reason }
                    throw CancellationError()
                }
            }
        }
    }

    /// Our errors pass through (a closed connection as the reason it closed); anything else
    /// becomes an ``MCPClientError`` that names the server.
    private static func mapped(_ error: any Error, server: String, closed: ClosedState) -> any Error {
        switch error {
        case let error as MCPClientError:
            // A refused session (`sessionExpired`) is this request's own outcome: kept, so the
            // pool knows the request never ran.
            if case .connectionClosed = error, let reason = closed.reason { return reason }
            return error
        case is CancellationError:
            return closed.reason ?? error
        default:
            return closed.reason ?? MCPClientError.protocolViolation(server: server, message: "\(error)")
        }
    }
}

/// Which of a request, its timeout and the connection's end came first.
private enum RaceOutcome<T: Sendable>: Sendable {
    case value(T)
    case timedOut
    case closed
}

/// Whether and why a session's connection ended; waiters are released when it does.
private final class ClosedState: Sendable {
    let signal = OneShotSignal()
    private let storage = Mutex<MCPClientError?>(nil)

    var reason: MCPClientError? { storage.withLock { $0 } }

    /// Returns when the connection has ended, or after `limit`.
    func wait(atMost limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.signal.wait() }
            group.addTask { try? await sleepReleasingTimer(for: limit) }  // cancelled: the timer goes with it
            await group.next()
            group.cancelAll()
        }
    }

    /// Records the first reason only, then releases every waiter.
    func close(_ reason: MCPClientError) {
        storage.withLock { if $0 == nil { $0 = reason } }
        signal.fire()
    }
}
