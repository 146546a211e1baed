import Foundation
import Synchronization
import TernCore
import TernTesting
import Testing

@testable import TernMCP

/// Tern's own MCP client (``MCPSession`` over ``MCPRPCConnection``) against a scripted server
/// in the test process, for what real servers rarely do on cue: requests from the server,
/// batches, junk, error answers, answers that never come, a stream that ends mid-call, an
/// unknown protocol version. The real servers (PyPI `mcp`, `mcp-server-time`, `mcp-server-git`)
/// drive the same code in MCPClientPoolTests.
@Suite(.timeLimit(.minutes(1))) struct MCPSessionProtocolTests {
    static let timeouts = MCPTimeouts(connect: .seconds(5), listTools: .seconds(5), callTool: .seconds(5), ping: .seconds(5))

    @Test func handshake_sendsInitializeThenInitialized_andReadsTheServer() async throws {
        let server = ScriptedServer()
        let session = try await server.open()
        #expect(session.protocolVersion == "2025-06-18")
        #expect(session.serverInfo == MCPServerInfo(name: "scripted", version: "9"))
        let sent = server.transport.sent
        #expect(sent.map { $0["method"]?.stringValue } == ["initialize", "notifications/initialized"])
        #expect(sent[0]["params"]?["protocolVersion"] == .string(MCPProtocolVersion.latest))
        #expect(sent[0]["params"]?["clientInfo"]?["name"] == "tern")
        #expect(sent[1]["id"] == nil)
        await session.close()
    }

    @Test func serverRequests_areAnswered_inBatchesToo_andJunkIsIgnored() async throws {
        let server = ScriptedServer()
        let session = try await server.open()
        server.transport.deliver("this is not JSON")
        server.transport.deliver(
            #"[{"jsonrpc":"2.0","id":"s1","method":"ping"},{"jsonrpc":"2.0","id":5,"method":"sampling/createMessage","params":{}}]"#)
        // A call after them still works: the junk did not end the connection.
        server.answer("tools/list") { _ in #"{"tools":[]}"# }
        #expect(try await session.listTools().isEmpty)
        // Answers go out on tasks of their own (a send may wait for the server).
        var responses: [JSONValue] = []
        try await poll("both answers", within: .seconds(5)) {
            responses = server.transport.sent.filter { $0["method"] == nil }
            return responses.count == 2
        }
        #expect(responses.first { $0["id"] == "s1" }?["result"] == [:])
        let refused = responses.first { $0["id"] == 5 }
        #expect(refused?["error"]?["code"] == -32601)
        await session.close()
    }

    @Test func errorAnswer_becomesARemoteErrorWithItsCode_andTheSessionGoesOn() async throws {
        let server = ScriptedServer()
        let session = try await server.open()
        server.answer("tools/call") { _ in nil }  // answered below by hand
        let call = Task { try await session.callTool("x", arguments: ["n": 1]) }
        let id = try await server.transport.waitForRequest("tools/call")
        server.transport.deliver(#"{"jsonrpc":"2.0","id":\#(id.jsonText),"error":{"code":-32602,"message":"bad n"}}"#)
        await #expect(throws: MCPClientError.remote(server: "scripted", message: "bad n (code -32602)")) {
            try await call.value
        }
        // The HTTP transport's own error answers name the server already: not twice.
        let second = Task { try await session.callTool("y", arguments: nil) }
        try await poll("the second call", within: .seconds(5)) { server.transport.sent.filter { $0["method"] == "tools/call" }.count == 2 }
        let secondID = try #require(server.transport.sent.last { $0["method"] == "tools/call" }?["id"])
        server.transport.deliver(
            #"{"jsonrpc":"2.0","id":\#(secondID.jsonText),"error":{"code":-32603,"message":"MCP server \"scripted\": HTTP 502"}}"#)
        await #expect(throws: MCPClientError.remote(server: "scripted", message: "HTTP 502 (code -32603)")) {
            try await second.value
        }
        server.answer("tools/call") { _ in #"{"content":[{"type":"text","text":"ok"}]}"# }
        #expect(try await session.callTool("x", arguments: nil) == MCPCallResult(text: "ok", isError: false))
        await session.close()
    }

    @Test func timedOutCall_isCancelledOnTheServer_andItsLateAnswerIsIgnored() async throws {
        let server = ScriptedServer()
        // Long enough for the quick call at the end on a loaded machine (200 ms was missed once
        // while the whole suite ran on 2 cores), short enough for the slow one to time out.
        let session = try await server.open(callTimeout: .seconds(2))
        server.answer("tools/call") { _ in nil }  // never answers
        await #expect(throws: MCPClientError.timedOut(server: "scripted", operation: "tools/call slow", after: .seconds(2))) {
            try await session.callTool("slow", arguments: nil)
        }
        let id = try await server.transport.waitForRequest("tools/call")
        let cancelled = try await server.transport.waitForNotification("notifications/cancelled")
        #expect(cancelled["params"]?["requestId"] == id)
        server.transport.deliver(#"{"jsonrpc":"2.0","id":\#(id.jsonText),"result":{"content":[]}}"#)
        server.answer("tools/call") { _ in #"{"content":[{"type":"text","text":"next"}]}"# }
        #expect(try await session.callTool("quick", arguments: nil).text == "next")
        await session.close()
    }

    @Test func aSendThatHangs_isBoundedByTheCallsTimeout_andPingStillAnswers() async throws {
        // A stdio server that stopped reading stdin blocks the write; over HTTP a server that
        // answers with one JSON body accepts the POST only with the answer.
        let server = ScriptedServer()
        let session = try await server.open(callTimeout: .milliseconds(200))
        server.transport.hangSends(of: "tools/call")
        await #expect(throws: MCPClientError.timedOut(server: "scripted", operation: "tools/call stuck", after: .milliseconds(200))) {
            try await session.callTool("stuck", arguments: nil)
        }
        server.answer("ping") { _ in "{}" }
        try await session.ping()
        // The cancellation waits for the request to be out: sent first, a server ignores it.
        #expect(!server.transport.sent.contains { $0["method"] == "notifications/cancelled" })
        server.transport.releaseSends()
        let id = try await server.transport.waitForRequest("tools/call")
        let cancelled = try await server.transport.waitForNotification("notifications/cancelled")
        #expect(cancelled["params"]?["requestId"] == id)
        let sent = server.transport.sent.compactMap { $0["method"]?.stringValue }
        #expect(sent.firstIndex(of: "tools/call").map { $0 < (sent.firstIndex(of: "notifications/cancelled") ?? 0) } == true)
        await session.close()
    }

    @Test func aFailedSend_failsItsCallWithTheSendsError() async throws {
        let server = ScriptedServer()
        let session = try await server.open()
        server.transport.refuseSends(of: "tools/call", with: .sessionExpired(server: "scripted"))
        await #expect(throws: MCPClientError.sessionExpired(server: "scripted")) {
            try await session.callTool("x", arguments: nil)
        }
        await session.close()
    }

    @Test func callInFlight_failsAtOnceWhenTheConnectionEnds() async throws {
        let server = ScriptedServer()
        let session = try await server.open()
        server.answer("tools/call") { _ in nil }
        let call = Task { try await session.callTool("slow", arguments: nil) }
        _ = try await server.transport.waitForRequest("tools/call")
        let reason = MCPClientError.connectionClosed(server: "scripted", reason: "process exited with code 3")
        server.transport.end(reason)
        await #expect(throws: reason) { try await call.value }
        await #expect(throws: reason) { try await session.callTool("again", arguments: nil) }
        #expect(session.closeReason == reason)
    }

    @Test func unknownProtocolVersion_isRefusedNamingIt_andTheTransportIsReleased() async throws {
        let server = ScriptedServer(version: "1999-01-01")
        await #expect {
            try await server.open()
        } throws: { error in
            guard case .protocolViolation(let name, let message) = error as? MCPClientError else { return false }
            return name == "scripted" && message.contains("1999-01-01") && message.contains(MCPProtocolVersion.latest)
        }
        #expect(await server.transport.disconnected)
    }

    @Test func answerWithoutResultOrError_isAProtocolViolation() async throws {
        let server = ScriptedServer()
        let session = try await server.open()
        server.answer("ping") { id in #"{"jsonrpc":"2.0","id":\#(id.jsonText)}"# }
        await #expect(throws: MCPClientError.protocolViolation(server: "scripted", message: "an answer has neither result nor error")) {
            try await session.ping()
        }
        await session.close()
    }
}

/// A server scripted per method: each request's answer is made by the method's handler (a
/// `result` JSON text, a whole message when it starts with `{"jsonrpc"`, or `nil` for none).
private final class ScriptedServer: Sendable {
    /// The handler of each method.
    private final class Handlers: Sendable {
        let byMethod = Mutex<[String: @Sendable (JSONValue) -> String?]>([:])
    }

    let transport: ScriptedTransport
    private let handlers = Handlers()

    init(version: String = "2025-06-18") {
        let handlers = self.handlers
        transport = ScriptedTransport { transport, message in
            guard let method = message["method"]?.stringValue, let id = message["id"] else { return }
            guard let handler = handlers.byMethod.withLock({ $0[method] }), let reply = handler(id) else { return }
            transport.deliver(reply.hasPrefix(#"{"jsonrpc""#) ? reply : #"{"jsonrpc":"2.0","id":\#(id.jsonText),"result":\#(reply)}"#)
        }
        answer("initialize") { _ in
            #"{"protocolVersion":"\#(version)","capabilities":{},"serverInfo":{"name":"scripted","version":"9"}}"#
        }
    }

    func answer(_ method: String, with handler: @escaping @Sendable (JSONValue) -> String?) {
        handlers.byMethod.withLock { $0[method] = handler }
    }

    /// A session with the suite's timeouts, a call's shortened to `callTimeout` if given.
    func open(callTimeout: Duration? = nil) async throws -> MCPSession {
        var timeouts = MCPSessionProtocolTests.timeouts
        if let callTimeout { timeouts.callTool = callTimeout }
        return try await MCPSession.open(
            serverName: "scripted", transport: transport, timeouts: timeouts, logger: MCPTestEnvironment.logger)
    }
}

/// An in-process ``ClosableTransport``: records what the client sends, delivers what the test
/// says.
private actor ScriptedTransport: ClosableTransport {
    nonisolated let messages: AsyncThrowingStream<Data, any Error>
    private nonisolated let sink: AsyncThrowingStream<Data, any Error>.Continuation
    private nonisolated let log = Mutex<[JSONValue]>([])
    private nonisolated let closedReason = Mutex<MCPClientError?>(nil)
    private let closedSignal = OneShotSignal()
    private let released = OneShotSignal()
    private(set) var disconnected = false
    private let onSend: @Sendable (ScriptedTransport, JSONValue) -> Void
    /// Methods whose sends never return (until the transport ends), and ones that fail.
    private nonisolated let hanging = Mutex<Set<String>>([])
    private nonisolated let refusing = Mutex<[String: MCPClientError]>([:])

    /// `onSend` sees every message the client sends, after it was recorded.
    init(onSend: @escaping @Sendable (ScriptedTransport, JSONValue) -> Void) {
        (messages, sink) = AsyncThrowingStream.makeStream(of: Data.self)
        self.onSend = onSend
    }

    nonisolated var sent: [JSONValue] { log.withLock { $0 } }

    func connect() async throws {}

    func disconnect() async {
        disconnected = true
        end(.connectionClosed(server: "scripted", reason: "disconnected"))
    }

    nonisolated func hangSends(of method: String) { hanging.withLock { _ = $0.insert(method) } }

    /// Lets the hanging sends go through.
    nonisolated func releaseSends() {
        hanging.withLock { $0 = [] }
        released.fire()
    }

    nonisolated func refuseSends(of method: String, with error: MCPClientError) {
        refusing.withLock { $0[method] = error }
    }

    func send(_ data: Data) async throws {
        if let reason = closedReason.withLock({ $0 }) { throw reason }
        let message = try JSONValue(parsing: data)
        if let method = message["method"]?.stringValue {
            if let error = refusing.withLock({ $0[method] }) { throw error }
            if hanging.withLock({ $0.contains(method) }) {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await self.closedSignal.wait() }
                    group.addTask { await self.released.wait() }
                    await group.next()
                    group.cancelAll()
                }
                if let reason = closedReason.withLock({ $0 }) { throw reason }
            }
        }
        log.withLock { $0.append(message) }
        onSend(self, message)
    }

    func receive() -> AsyncThrowingStream<Data, any Error> { messages }

    func waitUntilClosed() async -> MCPClientError {
        await closedSignal.wait()
        return closedReason.withLock { $0 } ?? .connectionClosed(server: "scripted", reason: "?")
    }

    nonisolated func deliver(_ text: String) { sink.yield(Data(text.utf8)) }

    nonisolated func end(_ reason: MCPClientError) {
        let first = closedReason.withLock { current -> Bool in
            guard current == nil else { return false }
            current = reason
            return true
        }
        guard first else { return }
        sink.finish(throwing: reason)
        closedSignal.fire()
    }

    /// The id of the first request with `method` the client sent (waits for it).
    nonisolated func waitForRequest(_ method: String) async throws -> JSONValue {
        var id: JSONValue?
        try await poll("request \(method)", within: .seconds(5)) {
            id = sent.first { $0["method"]?.stringValue == method && $0["id"] != nil }?["id"]
            return id != nil
        }
        return try #require(id)
    }

    /// The first notification with `method` the client sent (waits for it).
    nonisolated func waitForNotification(_ method: String) async throws -> JSONValue {
        var found: JSONValue?
        try await poll("notification \(method)", within: .seconds(5)) {
            found = sent.first { $0["method"]?.stringValue == method && $0["id"] == nil }
            return found != nil
        }
        return try #require(found)
    }
}
