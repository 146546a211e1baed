import Foundation
import Logging
import MCP
import Testing
import TernCore
import TernNetwork

@testable import TernMCP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// ``StreamableHTTPTransport`` under the SDK's `Client`, against `Tests/mcp-servers/http_server.py`
/// (the official Python SDK's Streamable HTTP server) on a loopback port opened by an explicit
/// allow-list entry.
@Suite(.enabled(if: MCPTestEnvironment.isAvailable), .serialized, .timeLimit(.minutes(1)))
struct StreamableHTTPTransportTests {
    @Test func sseServer_listsAndCallsTools() async throws {
        try await withServer { server in
            let (client, transport) = try await connectedClient(to: server)
            let tools = try await client.listTools().tools.map(\.name)
            #expect(Set(["echo", "add", "fail", "notify_then_answer", "slow", "header"]).isSubset(of: Set(tools)))
            #expect(try await text(of: client.callTool(name: "echo", arguments: ["text": "hello"])) == "hello")
            #expect(try await text(of: client.callTool(name: "add", arguments: ["a": 2, "b": 3])) == "5")
            await client.disconnect()
            #expect(await transport.waitUntilClosed() == .connectionClosed(server: "py", reason: "disconnected"))
        }
    }

    @Test func jsonServer_listsAndCallsTools() async throws {
        try await withServer(["--json"]) { server in
            let (client, _) = try await connectedClient(to: server)
            #expect(try await client.listTools().tools.contains { $0.name == "echo" })
            #expect(try await text(of: client.callTool(name: "echo", arguments: ["text": "über"])) == "über")
            #expect(try await text(of: client.callTool(name: "add", arguments: ["a": 40, "b": 2])) == "42")
            await client.disconnect()
        }
    }

    @Test func statelessServer_worksWithoutASession() async throws {
        try await withServer(["--stateless", "--json"]) { server in
            let (client, transport) = try await connectedClient(to: server)
            #expect(try await text(of: client.callTool(name: "add", arguments: ["a": 1, "b": 1])) == "2")
            #expect(await transport.sessionID == nil)
            await client.disconnect()
        }
    }

    @Test func sseStream_deliversTheNotification_thenTheAnswer() async throws {
        try await withServer { server in
            let (client, _) = try await connectedClient(to: server)
            let (notes, noteSink) = AsyncStream.makeStream(of: String.self)
            await client.onNotification(LogMessageNotification.self) { message in
                if case .string(let text) = message.params.data { noteSink.yield(text) }
            }
            #expect(try await text(of: client.callTool(name: "notify_then_answer")) == "answered")
            // The SDK runs notification handlers before it handles the response that follows.
            noteSink.finish()
            var received: [String] = []
            for await note in notes { received.append(note) }
            #expect(received == ["working on it"])
            await client.disconnect()
        }
    }

    @Test func toolError_comesThroughAsIsError() async throws {
        try await withServer { server in
            let (client, _) = try await connectedClient(to: server)
            let result = try await client.callTool(name: "fail", arguments: ["message": "boom"])
            #expect(result.isError == true)
            #expect(text(of: result).contains("boom"))
            // The session goes on.
            #expect(try await text(of: client.callTool(name: "echo", arguments: ["text": "still here"])) == "still here")
            await client.disconnect()
        }
    }

    @Test func httpErrorStatus_failsThatMessageOnly() async throws {
        try await withServer { server in
            let (client, transport) = try await connectedClient(to: server)
            // Not a valid JSON-RPC request: the server answers 400.
            let invalid = Data(#"{"jsonrpc":"2.0","id":99,"method":5}"#.utf8)
            await #expect {
                try await transport.send(invalid)
            } throws: { error in
                guard case .httpStatus(let name, let status, let message) = error as? MCPClientError else { return false }
                return name == "py" && status == 400 && !message.isEmpty && message.count <= 201
            }
            #expect(try await text(of: client.callTool(name: "echo", arguments: ["text": "fine"])) == "fine")
            await client.disconnect()
        }
    }

    @Test func configuredHeaders_sessionID_andProtocolVersion_areSent() async throws {
        try await withServer { server in
            let (client, transport) = try await connectedClient(to: server, headers: ["X-Tern-Test": "secret-value"])
            func header(_ name: String) async throws -> String {
                try await text(of: client.callTool(name: "header", arguments: ["name": .string(name)]))
            }
            #expect(try await header("X-Tern-Test") == "secret-value")
            let session = try await header("Mcp-Session-Id")
            #expect(!session.isEmpty)
            #expect(await transport.sessionID == session)
            #expect(try await header("MCP-Protocol-Version") == Version.latest)
            await client.disconnect()
        }
    }

    @Test func expiredSession_endsTheConnection_askingToReinitialise() async throws {
        try await withServer { server in
            let (client, transport) = try await connectedClient(to: server)
            // The GET stream may open after the session is gone, see the 404 and end the connection
            // before this answer arrives: then the call fails, and that is the behaviour under test too.
            _ = try? await client.callTool(name: "expire_session")
            let expired = MCPClientError.connectionClosed(
                server: "py", reason: "session expired (HTTP 404); reconnect to re-initialise")
            // Refused by the server (404), or not sent because the GET stream saw the 404 first, or
            // sent while the GET stream saw it and ended the connection (the waiting request then
            // fails with the connection's reason; seen once under the whole suite's load): either
            // way it never ran, and says the session expired.
            do {
                _ = try await client.callTool(name: "echo", arguments: ["text": "x"])
                Issue.record("the call after the session expired succeeded")
            } catch let error as MCPClientError {
                #expect(error == .sessionExpired(server: "py") || error == expired, "\(error)")
            }
            #expect(await transport.waitUntilClosed() == expired)
            #expect(await transport.sessionID == nil)
            await #expect(throws: MCPClientError.sessionExpired(server: "py")) { try await transport.send(Data("{}".utf8)) }
            await client.disconnect()
        }
    }

    @Test func killedServer_endsTheConnection_andTheCallInFlightFails() async throws {
        try await withServer { server in
            let (client, transport) = try await connectedClient(to: server)
            let (notes, noteSink) = AsyncStream.makeStream(of: String.self)
            await client.onNotification(LogMessageNotification.self) { message in
                if case .string(let text) = message.params.data { noteSink.yield(text) }
            }
            let call = Task { try await client.callTool(name: "slow", arguments: ["seconds": 30]) }
            var iterator = notes.makeAsyncIterator()
            #expect(await iterator.next() == "sleeping")  // the call is running on the server
            server.kill()

            let reason = await transport.waitUntilClosed()
            guard case .connectionClosed = reason else {
                Issue.record("unexpected reason \(reason)")
                return
            }
            await #expect(throws: (any Error).self) { try await call.value }
            await #expect(throws: reason) { try await client.callTool(name: "echo", arguments: ["text": "x"]) }
            await client.disconnect()
        }
    }

    @Test func cancelledRequest_stopsReadingItsAnswer_andTheSessionGoesOn() async throws {
        try await withServer { server in
            let (client, transport) = try await connectedClient(to: server)
            let (notes, noteSink) = AsyncStream.makeStream(of: String.self)
            await client.onNotification(LogMessageNotification.self) { message in
                if case .string(let text) = message.params.data { noteSink.yield(text) }
            }
            let context: RequestContext<CallTool.Result> = try await client.callTool(name: "slow", arguments: ["seconds": 30])
            var iterator = notes.makeAsyncIterator()
            #expect(await iterator.next() == "sleeping")  // its answer stream is open
            #expect(await transport.requestsInFlight == 1)
            try await client.cancelRequest(context.requestID, reason: "test")
            await #expect(throws: CancellationError.self) { _ = try await context.value }
            // The notification went out through the transport, which dropped the stream.
            await transport.waitUntilNoRequestsInFlight()
            #expect(await transport.requestsInFlight == 0)
            #expect(text(of: try await client.callTool(name: "echo", arguments: ["text": "still here"])) == "still here")
            await client.disconnect()
        }
    }

    @Test func brokenResponseStream_isResumedWithLastEventID() async throws {
        try await withServer(["--resumable"]) { server in
            let (client, _) = try await connectedClient(to: server)
            #expect(try await text(of: client.callTool(name: "interrupted_answer")) == "resumed")
            #expect(try await text(of: client.callTool(name: "echo", arguments: ["text": "after"])) == "after")
            await client.disconnect()
        }
    }

    @Test func withoutAnAllowListEntry_connectIsRefused_andNothingReachesTheServer() async throws {
        try await withServer { server in
            let refused = try makeTransport(server, allowListed: false)
            do {
                try await refused.connect()
                Issue.record("connect() succeeded without an allow-list entry")
            } catch let error as MCPClientError {
                guard case .refused(let name, let reason) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(name == "py")
                #expect(reason.contains("loopback"), "\(reason)")
            }
            await #expect(throws: MCPClientError.self) { try await Client(name: "t", version: "1").connect(tern: refused) }
            await refused.disconnect()

            // The server saw exactly one request without a session: the allowed client's initialize.
            let (client, _) = try await connectedClient(to: server)
            #expect(try await text(of: client.callTool(name: "anonymous_requests")) == "1")
            await client.disconnect()
        }
    }

    @Test func disconnect_isIdempotent_andLaterSendsFail() async throws {
        try await withServer { server in
            let (client, transport) = try await connectedClient(to: server)
            await transport.disconnect()
            await transport.disconnect()
            let closed = MCPClientError.connectionClosed(server: "py", reason: "disconnected")
            #expect(await transport.waitUntilClosed() == closed)
            await #expect(throws: closed) { try await transport.send(Data("{}".utf8)) }
            var iterator = await transport.receive().makeAsyncIterator()
            await #expect(throws: closed) { _ = try await iterator.next() }
            await client.disconnect()
        }
    }

    // MARK: - Helpers

    func makeTransport(_ server: PythonHTTPServer, allowListed: Bool = true, headers: [String: String] = [:]) throws
        -> StreamableHTTPTransport
    {
        // The port is on the port list either way: only the allow-list entry opens loopback.
        let entries = allowListed ? [try NetworkAllowEntry(parsing: "127.0.0.1:\(server.port)")] : []
        let networkGuard = NetworkGuard(
            policy: URLPolicy(allowedPorts: [server.port], allowList: entries), resolver: SystemHostResolver())
        return StreamableHTTPTransport(
            serverName: "py", url: "http://127.0.0.1:\(server.port)/mcp", headers: headers,
            networkGuard: networkGuard, requestTimeout: .seconds(20),
            retry: .init(maxAttempts: 3, initialDelay: .milliseconds(50), maxDelay: .seconds(1)),
            logger: MCPTestEnvironment.logger)
    }

    func connectedClient(to server: PythonHTTPServer, headers: [String: String] = [:]) async throws
        -> (Client, StreamableHTTPTransport)
    {
        let transport = try makeTransport(server, headers: headers)
        let client = Client(name: "tern-test", version: "1.0")
        do {
            try await client.connect(tern: transport)
        } catch {
            await client.disconnect()
            await transport.disconnect()
            throw error
        }
        return (client, transport)
    }

    func text(of result: (content: [MCP.Tool.Content], isError: Bool?)) -> String {
        result.content.compactMap { content -> String? in
            if case .text(let text, _, _) = content { return text }
            return nil
        }.joined()
    }

    func withServer<T>(_ flags: [String] = [], _ body: (PythonHTTPServer) async throws -> T) async throws -> T {
        let server = try await PythonHTTPServer.start(flags)
        defer { server.stop() }
        return try await body(server)
    }
}

/// `http_server.py` in a child process, on the port it printed.
final class PythonHTTPServer: Sendable {
    let process: Process
    let port: Int
    private let exited: DispatchSemaphore

    private init(process: Process, port: Int, exited: DispatchSemaphore) {
        self.process = process
        self.port = port
        self.exited = exited
    }

    /// Starts the server and waits for its `PORT <n>` line.
    static func start(_ flags: [String]) async throws -> PythonHTTPServer {
        let python = try #require(MCPTestEnvironment.python)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [MCPTestEnvironment.script("http_server.py"), "--port", "0"] + flags
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let server = PythonHTTPServer(process: process, port: 0, exited: exited)
        let line = await withCheckedContinuation { continuation in
            // `availableData` blocks: read on a thread of its own, not the concurrency pool.
            Thread.detachNewThread {
                var text = ""
                while !text.contains("\n") {
                    let data = output.fileHandleForReading.availableData
                    if data.isEmpty { break }  // the process exited
                    text += String(decoding: data, as: UTF8.self)
                }
                continuation.resume(returning: text)
            }
        }
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5).prefix { $0.isNumber }) else {
            server.stop()
            throw ServerStartFailure(output: line)
        }
        return PythonHTTPServer(process: process, port: port, exited: exited)
    }

    struct ServerStartFailure: Error {
        var output: String
    }

    /// Ends the server with SIGTERM and waits for it; SIGKILL if it has not exited in 5 seconds.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        if exited.wait(timeout: .now() + 5) == .timedOut {
            sendKill(process.processIdentifier)
        }
        process.waitUntilExit()
    }

    /// Kills the server at once (SIGKILL), as a crash would, and waits for it.
    func kill() {
        guard process.isRunning else { return }
        sendKill(process.processIdentifier)
        process.waitUntilExit()
    }
}

private func sendKill(_ pid: Int32) {
    _ = kill(pid, SIGKILL)
}
