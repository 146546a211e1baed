import Foundation
package import Logging
package import MCP
import Synchronization
import TernCore

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

/// One initialised connection to one MCP server: the SDK's `Client` over one of our
/// transports, with every request bounded by a timeout and failed at once when the
/// connection ends.
package actor MCPSession {
    /// The server's name in Tern's configuration (for messages and logs).
    package nonisolated let serverName: String
    /// What the server answered to `initialize`.
    package nonisolated let protocolVersion: String
    package nonisolated let serverInfo: Server.Info
    /// Time from spawn/connect to the end of `initialize`.
    package nonisolated let connectTime: Duration

    private let client: Client
    private let transport: any ClosableTransport
    private let timeouts: MCPTimeouts
    private let closed: ClosedState
    private let monitor: Task<Void, Never>
    private let logger: Logger

    private init(
        serverName: String, logger: Logger, client: Client, transport: any ClosableTransport, timeouts: MCPTimeouts,
        closed: ClosedState, monitor: Task<Void, Never>, result: Initialize.Result, connectTime: Duration
    ) {
        self.serverName = serverName
        self.logger = logger
        self.client = client
        self.transport = transport
        self.timeouts = timeouts
        self.closed = closed
        self.monitor = monitor
        self.protocolVersion = result.protocolVersion
        self.serverInfo = result.serverInfo
        self.connectTime = connectTime
    }

    /// Connects `transport` and runs the `initialize` handshake within `timeouts.connect`.
    /// - Parameter onToolsChanged: called when the server sends `notifications/tools/list_changed`.
    /// - Throws: ``MCPClientError`` (launch failure, refusal, timeout, closed, protocol error).
    ///   On failure everything started is torn down (the process group is killed).
    package static func open(
        serverName: String, transport: any ClosableTransport, timeouts: MCPTimeouts, logger: Logger,
        onToolsChanged: @escaping @Sendable () -> Void = {}
    ) async throws -> MCPSession {
        let client = Client(name: "tern", version: "1.0")
        await client.onNotification(ToolListChangedNotification.self) { _ in onToolsChanged() }
        let closed = ClosedState()
        let monitor = Task {
            let reason = await transport.waitUntilClosed()
            closed.close(reason)
        }
        let start = ContinuousClock.now
        do {
            let result = try await race(
                serverName: serverName, operation: "initialize", timeout: timeouts.connect, closed: closed,
                body: { try await client.connect(transport: transport) },
                abandon: { await client.disconnect() })
            guard Version.supported.contains(result.protocolVersion) else {
                throw MCPClientError.protocolViolation(
                    server: serverName,
                    message: "server chose protocol version \(result.protocolVersion), which Tern does not speak "
                        + "(supported: \(Version.supported.sorted().joined(separator: ", ")))")
            }
            return MCPSession(
                serverName: serverName, logger: logger, client: client, transport: transport, timeouts: timeouts, closed: closed,
                monitor: monitor, result: result, connectTime: ContinuousClock.now - start)
        } catch {
            await client.disconnect()
            await transport.disconnect()
            monitor.cancel()
            throw error
        }
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
    package func listTools() async throws -> [MCP.Tool] {
        var tools: [MCP.Tool] = []
        var cursor: String?
        for _ in 0..<100 {
            let request = cursor.map { ListTools.request(.init(cursor: $0)) } ?? ListTools.request(.init())
            let page = try await perform(request, operation: "tools/list", timeout: timeouts.listTools)
            tools += page.tools
            guard let next = page.nextCursor, !next.isEmpty else { return tools }
            cursor = next
        }
        throw MCPClientError.protocolViolation(server: serverName, message: "tools/list returned more than 100 pages")
    }

    /// Calls one tool.
    package func callTool(_ name: String, arguments: [String: Value]?) async throws -> MCPCallResult {
        let result = try await perform(
            CallTool.request(.init(name: name, arguments: arguments)), operation: "tools/call \(name)",
            timeout: timeouts.callTool)
        return MCPCallResult(
            text: MCPContentRenderer.text(content: result.content, structured: result.structuredContent),
            isError: result.isError ?? false)
    }

    /// Sends `ping` and returns its round trip.
    @discardableResult
    package func ping() async throws -> Duration {
        let start = ContinuousClock.now
        _ = try await perform(Ping.request(), operation: "ping", timeout: timeouts.ping)
        return ContinuousClock.now - start
    }

    /// Ends the connection (kills a stdio server's process group; ends an HTTP session).
    package func close() async {
        closed.close(.connectionClosed(server: serverName, reason: "closed by Tern"))
        await client.disconnect()
        await transport.disconnect()
        monitor.cancel()
    }

    private func perform<M: MCP.Method>(_ request: Request<M>, operation: String, timeout: Duration) async throws
        -> M.Result
    {
        if let reason = closed.reason { throw reason }
        try Task.checkCancellation()
        let context: RequestContext<M.Result>
        do {
            context = try await client.send(request)
        } catch {
            throw Self.mapped(error, server: serverName, closed: closed)
        }
        let client = self.client
        let logger = self.logger
        return try await Self.race(
            serverName: serverName, operation: operation, timeout: timeout, closed: closed,
            body: { try await context.value },
            abandon: {
                // Fails the pending request at once and tells the server to stop working on it.
                do {
                    try await client.cancelRequest(context.requestID, reason: "timed out or abandoned by Tern")
                } catch {
                    logger.debug("could not send cancellation", metadata: ["error": "\(error)"])
                }
            })
    }

    /// Runs `body` against a timeout and the end of the connection, whichever comes first.
    /// When `body` loses, `abandon` makes it return (the SDK's request tasks do not react to
    /// cancellation of whoever awaits them) before the error is thrown.
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

    /// Our errors pass through; the SDK's become ``MCPClientError``s that name the server.
    private static func mapped(_ error: any Error, server: String, closed: ClosedState) -> any Error {
        switch error {
        case let error as MCPClientError:
            // A refused session (`sessionExpired`) is this request's own outcome: kept, so the
            // pool knows the request never ran.
            if case .connectionClosed = error, let reason = closed.reason { return reason }
            return error
        case is CancellationError:
            return closed.reason ?? error
        case let error as MCPError:
            if case .internalError(let message) = error, message == "Client disconnected" || message == "Client connection not initialized"
            {
                return closed.reason ?? MCPClientError.connectionClosed(server: server, reason: "client disconnected")
            }
            if case .connectionClosed = error {
                return closed.reason ?? MCPClientError.connectionClosed(server: server, reason: "connection closed")
            }
            if case .transportError(let inner) = error {
                return mapped(inner, server: server, closed: closed)
            }
            return MCPClientError.remote(server: server, message: "\(error.errorDescription ?? "\(error)") (code \(error.code))")
        case is DecodingError:
            return MCPClientError.protocolViolation(server: server, message: "answer does not decode: \(error)")
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
