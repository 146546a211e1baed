import Foundation
import Synchronization
import TernCore
import TernTesting
import Testing

@testable import TernMCP

/// Tern's own MCP client (``MCPSession``) against real servers: PyPI `mcp-server-time` over
/// stdio, and the official Python SDK's Streamable HTTP server (`Tests/mcp-servers/http_server.py`)
/// for notifications during a call and a call given up by its timeout.
@Suite(.enabled(if: MCPTestEnvironment.isAvailable), .serialized, .timeLimit(.minutes(1)))
struct MCPSessionRealServerTests {
    static let timeouts = MCPTimeouts(connect: .seconds(20), listTools: .seconds(20), callTool: .seconds(20), ping: .seconds(5))

    @Test func timeServer_overStdio() async throws {
        let transport = StdioTransport(
            serverName: "time", executable: try #require(MCPTestEnvironment.python),
            arguments: ["-m", "mcp_server_time", "--local-timezone", "UTC"], environment: [:],
            logger: MCPTestEnvironment.logger)
        let session = try await MCPSession.open(
            serverName: "time", transport: transport, timeouts: Self.timeouts, logger: MCPTestEnvironment.logger)
        #expect(MCPProtocolVersion.supported.contains(session.protocolVersion))
        #expect(!session.serverInfo.name.isEmpty)
        let tools = try await session.listTools()
        let current = try #require(tools.first { $0.name == "get_current_time" })
        #expect(current.inputSchema["type"] == "object")
        let result = try await session.callTool("get_current_time", arguments: ["timezone": "UTC"])
        #expect(!result.isError)
        #expect(try JSONValue(parsing: Data(result.text.utf8))["timezone"] == "UTC")
        let bad = try await session.callTool("get_current_time", arguments: ["timezone": "Mars/Olympus"])
        #expect(bad.isError, "an unknown zone is the tool's error, not the connection's")
        try await session.ping()
        await session.close()
        #expect(session.closeReason == .connectionClosed(server: "time", reason: "closed by Tern"))
    }

    @Test func httpServer_notificationsArriveBeforeTheAnswer_andATimedOutCallIsDropped() async throws {
        let server = try await PythonHTTPServer.start([])
        defer { server.stop() }
        let transport = try StreamableHTTPTransportTests().makeTransport(server)
        let notes = Mutex<[String]>([])
        var timeouts = Self.timeouts
        // Long enough for the quick calls on a loaded machine (1 s failed under the full suite),
        // short enough to wait for the slow one to time out.
        timeouts.callTool = .seconds(5)
        let session = try await MCPSession.open(
            serverName: "py", transport: transport, timeouts: timeouts, logger: MCPTestEnvironment.logger,
            onNotification: { method, params in
                if method == "notifications/message", let text = params?["data"]?.stringValue {
                    notes.withLock { $0.append(text) }
                }
            })
        #expect(await transport.sessionID != nil)
        #expect(try await session.callTool("notify_then_answer", arguments: nil).text == "answered")
        #expect(notes.withLock { $0 } == ["working on it"])

        await #expect(throws: MCPClientError.timedOut(server: "py", operation: "tools/call slow", after: .seconds(5))) {
            try await session.callTool("slow", arguments: ["seconds": 30])
        }
        // notifications/cancelled went out, and the transport stopped reading that answer.
        try await poll("the abandoned call's stream to close", within: .seconds(10)) {
            await transport.requestsInFlight == 0
        }
        #expect(try await session.callTool("add", arguments: ["a": 40, "b": 2]).text == "42")
        await session.close()
    }
}
