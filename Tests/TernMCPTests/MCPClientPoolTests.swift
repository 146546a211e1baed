import Foundation
import Logging
import Testing
import TernCore
import TernMCP
import TernNetwork
import TernStore
import TernTesting

/// The pool against real stdio servers (our `echo_server.py` / `changing_server.py` written with
/// the `mcp` SDK, `silent_server.py`, and a bad command), through the real catalog: definitions
/// in a store, secrets sealed with AES-GCM and opened at spawn.
@Suite(.enabled(if: MCPTestEnvironment.isAvailable), .serialized, .timeLimit(.minutes(2)))
struct MCPClientPoolTests {
    static let contextA: ContextID = "context-a"
    static let contextB: ContextID = "context-b"

    /// A pool over a memory store holding `servers` for context A.
    final class Rig: Sendable {
        let store = MemoryMCPServerStore()
        let catalog: MCPServerCatalog
        let pool: MCPClientPool
        let admin: MCPServerAdminService
        /// `server` for each tool-list change the pool was told of, in order.
        let toolListChanges: AsyncStream<String>

        init(
            globals: [MCPServerDefinition] = [], timeouts: MCPTimeouts = MCPTimeouts(connect: .seconds(30)),
            // Turns in these tests wait as long as it takes: a dozen Python servers starting at
            // once on a loaded machine can take longer than the production default.
            settings: MCPPoolSettings = MCPPoolSettings(turnWait: .seconds(600)),
            networkGuard: NetworkGuard = NetworkGuard(policy: URLPolicy(), resolver: SystemHostResolver())
        ) {
            let box = AESGCMSecretBox(secretKey: Array(repeating: 7, count: 32))
            catalog = MCPServerCatalog(store: store, globals: globals, secretBox: box)
            let guardian = networkGuard
            let connector = MCPConnector(
                timeouts: timeouts, logger: MCPTestEnvironment.logger,
                makeTransport: MCPTransports.live(networkGuard: guardian, logger: MCPTestEnvironment.logger))
            let (changes, changed) = AsyncStream.makeStream(of: String.self)
            toolListChanges = changes
            pool = MCPClientPool(
                directory: catalog, connector: connector, settings: settings, logger: MCPTestEnvironment.logger,
                random: { 0 },  // the longest backoff, as before
                onToolsChanged: { server, _ in changed.yield(server) })
            admin = MCPServerAdminService(catalog: catalog, pool: pool, networkGuard: guardian)
        }

        func add(_ definition: MCPServerDefinition, in context: ContextID = MCPClientPoolTests.contextA) async throws {
            _ = try await store.add(try catalog.record(for: definition, in: context))
        }

        func tool(_ name: String, in context: ContextID = MCPClientPoolTests.contextA) async throws -> any TernCore.Tool {
            let tools = try await pool.tools(for: context)
            return try #require(tools.first { $0.spec.name == name }, "no \(name) in \(tools.map(\.spec.name))")
        }

        func call(_ name: String, _ input: JSONValue = [:], in context: ContextID = MCPClientPoolTests.contextA) async throws
            -> ToolOutput
        {
            try await tool(name, in: context).call(input, in: ToolContext(contextID: context, userID: "u"))
        }

        deinit {
            let pool = self.pool
            Task { await pool.closeAll() }
        }
    }

    static func script(_ name: String, environment: [MCPServerDefinition.Setting] = []) -> MCPServerDefinition {
        MCPServerDefinition(
            name: String(name.prefix { $0 != "_" }), transport: .stdio, command: MCPTestEnvironment.python,
            arguments: [MCPTestEnvironment.script(name)], environment: environment)
    }

    @Test func toolsAreNamedAfterTheServerAndCarryRisk() async throws {
        let rig = Rig()
        try await rig.add(Self.script("echo_server.py"))
        let tools = try await rig.pool.tools(for: Self.contextA)
        let byName = Dictionary(uniqueKeysWithValues: tools.map { ($0.spec.name, $0.spec) })
        #expect(Set(byName.keys).isSuperset(of: ["echo__echo", "echo__add", "echo__fail", "echo__delete_everything"]))
        #expect(byName["echo__echo"]?.risk == .external)
        #expect(byName["echo__delete_everything"]?.risk == .dangerous, "destructiveHint makes it dangerous")
        #expect(byName["echo__add"]?.inputSchema["properties"]?["a"] != nil, "the schema is passed through")
        let output = try await rig.call("echo__echo", ["text": "hello from a real MCP server"])
        #expect(output == .text("hello from a real MCP server"))
        #expect(try await rig.call("echo__add", ["a": 2, "b": 40]) == .text("42"))
    }

    @Test func aToolErrorReachesTheModelAsAnError() async throws {
        let rig = Rig()
        try await rig.add(Self.script("echo_server.py"))
        let output = try await rig.call("echo__fail", ["message": "the city does not exist"])
        #expect(output.isError)
        #expect(output.text.contains("the city does not exist"))
    }

    @Test func secretsAreOpenedAtSpawnAndNothingElseIsInherited() async throws {
        // TERN_TEST_MCP_PYTHON is set in this process (the suite runs only then) and must not reach
        // the server. No setenv here: it races other tests' Process.run() copying the environment.
        let rig = Rig()
        try await rig.add(Self.script("echo_server.py", environment: [.init(name: "API_TOKEN", value: "s3cret", secret: true)]))
        let stored = try await rig.store.server(named: "echo", in: Self.contextA)
        #expect(stored.environment.first?.isSecret == true, "stored sealed")
        #expect(try await rig.call("echo__env", ["name": "API_TOKEN"]) == .text("s3cret"))
        #expect(try await rig.call("echo__env", ["name": "TERN_TEST_MCP_PYTHON"]) == .text("<unset>"))
    }

    @Test func aKilledServerIsReconnectedOnTheNextCall() async throws {
        let rig = Rig()
        try await rig.add(Self.script("changing_server.py"))
        #expect(try await rig.call("changing__count") == .text("1"))
        #expect(try await rig.call("changing__count") == .text("2"), "the connection is reused")
        // Kill the server behind the pool's back: the process group dies, the connection ends.
        let before = await rig.pool.status(of: "changing", in: Self.contextA, enabled: true)
        #expect(before.state == .connected)
        try await killServer(rig, named: "changing")
        #expect(try await rig.call("changing__count") == .text("1"), "a new process answers")
        #expect(await rig.pool.status(of: "changing", in: Self.contextA, enabled: true).state == .connected)
    }

    @Test func aCrashDuringACallFailsThatCallAndTheNextOneReconnects() async throws {
        let rig = Rig()
        try await rig.add(Self.script("echo_server.py"))
        await #expect(throws: ToolError.self) { try await rig.call("echo__crash") }
        let status = await rig.pool.status(of: "echo", in: Self.contextA, enabled: true)
        #expect(status.lastError?.contains("exit") == true, "\(status.lastError ?? "nil")")
        #expect(try await rig.call("echo__echo", ["text": "back"]) == .text("back"))
    }

    @Test func aServerThatNeverAnswersTimesOutAndBacksOff() async throws {
        let rig = Rig(
            timeouts: MCPTimeouts(connect: .milliseconds(1500)),
            settings: MCPPoolSettings(backoffBase: .seconds(600), turnWait: .seconds(600)))
        try await rig.add(Self.script("silent_server.py"))
        let tools = try await rig.pool.tools(for: Self.contextA)
        #expect(tools.isEmpty, "an unreachable server adds no tools, and the turn goes on")
        let status = await rig.pool.status(of: "silent", in: Self.contextA, enabled: true)
        #expect(status.state == .failing)
        #expect(status.lastError?.contains("initialize did not answer within 1500ms") == true, "\(status.lastError ?? "nil")")
        // Within the backoff nothing is spawned again; the error says when the next try is.
        await #expect {
            try await rig.pool.call(server: "silent", tool: "x", arguments: nil, in: Self.contextA)
        } throws: { error in
            "\(error)".contains("next attempt in")
        }
    }

    @Test func aServerStillConnectingDoesNotHoldUpTheTurn() async throws {
        // The connect limit is far beyond the test's time limit: only the turn wait lets
        // tools(for:) return, so this test would time out if the turn waited for the server.
        let rig = Rig(timeouts: MCPTimeouts(connect: .seconds(3600)), settings: MCPPoolSettings(turnWait: .milliseconds(200)))
        try await rig.add(Self.script("silent_server.py"))
        try await rig.add(Self.script("echo_server.py"))
        let names = try await rig.pool.tools(for: Self.contextA).map(\.spec.name)
        #expect(!names.contains { $0.hasPrefix("silent__") })
        #expect(
            try await rig.pool.tools(for: Self.contextA).allSatisfy { !$0.spec.name.hasPrefix("silent__") },
            "a second turn does not wait again for the same attempt either")
        await rig.pool.closeAll()
    }

    @Test func aBadCommandIsAClearError() async throws {
        let rig = Rig()
        try await rig.add(MCPServerDefinition(name: "nope", transport: .stdio, command: "/nonexistent/mcp-server"))
        #expect(try await rig.pool.tools(for: Self.contextA).isEmpty)
        let status = await rig.pool.status(of: "nope", in: Self.contextA, enabled: true)
        #expect(status.lastError?.contains("/nonexistent/mcp-server") == true, "\(status.lastError ?? "nil")")
        // The admin refuses it before it is stored, and `test` names it.
        await #expect {
            _ = try await rig.admin.add(
                MCPServerDefinition(name: "nope2", transport: .stdio, command: "no-such-mcp-command"), in: Self.contextA)
        } throws: { error in
            "\(error)".contains("command 'no-such-mcp-command' not found on PATH")
        }
        await #expect {
            _ = try await rig.admin.test(named: "nope", in: Self.contextA)
        } throws: { error in
            (error as? MCPServerUnreachable)?.message.contains("could not start") == true
        }
    }

    @Test func adminTestReportsProtocolToolsAndRoundTrip() async throws {
        let rig = Rig()
        try await rig.add(Self.script("echo_server.py"))
        let report = try await rig.admin.test(named: "echo", in: Self.contextA)
        #expect(!report.protocolVersion.isEmpty)
        #expect(report.serverName == "tern-echo")
        #expect(report.tools.contains { $0.name == "echo__echo" && $0.serverToolName == "echo" })
        #expect(report.pingRoundTrip > .zero)
    }

    @Test func contextsAreIsolated() async throws {
        let rig = Rig()
        try await rig.add(Self.script("echo_server.py"))
        #expect(try await rig.pool.tools(for: Self.contextB).isEmpty, "B sees none of A's servers")
        let aTool = try await rig.tool("echo__echo")
        await #expect(throws: ToolError.notAllowed(tool: "echo__echo", reason: "belongs to another context")) {
            _ = try await aTool.call(["text": "x"], in: ToolContext(contextID: Self.contextB, userID: "u"))
        }
        await #expect(throws: MCPClientError.self) {
            _ = try await rig.pool.call(server: "echo", tool: "echo", arguments: ["text": "x"], in: Self.contextB)
        }
        await #expect(throws: StoreError.self) { try await rig.admin.remove(named: "echo", in: Self.contextB) }
        #expect(try await rig.store.servers(in: Self.contextA).count == 1)
    }

    @Test func globalServersGetAConnectionPerContext() async throws {
        let rig = Rig(globals: [Self.script("changing_server.py")])
        #expect(try await rig.call("changing__count", in: Self.contextA) == .text("1"))
        #expect(try await rig.call("changing__count", in: Self.contextA) == .text("2"))
        #expect(try await rig.call("changing__count", in: Self.contextB) == .text("1"), "B has its own process")
        await #expect(throws: StoreError.self) { _ = try await rig.admin.setEnabled(false, named: "changing", in: Self.contextA) }
    }

    @Test func theToolListIsRefreshedWhenTheServerSaysItChanged() async throws {
        let rig = Rig()
        try await rig.add(Self.script("changing_server.py"))
        #expect(try await rig.call("changing__grow", ["name": "sprout"]) == .text("added sprout"))
        // The notification arrives on the connection; once the pool has marked the list stale,
        // the next listing asks the server again.
        var changes = rig.toolListChanges.makeAsyncIterator()
        #expect(await changes.next() == "changing")
        let names = try await rig.pool.tools(for: Self.contextA).map(\.spec.name)
        #expect(names.contains("changing__sprout"), "\(names)")
        #expect(try await rig.call("changing__sprout") == .text("I am sprout"))
    }

    @Test func idleConnectionsCloseAndComeBackOnUse() async throws {
        let rig = Rig(settings: MCPPoolSettings(idleTimeout: .zero, turnWait: .seconds(600)))
        try await rig.add(Self.script("changing_server.py"))
        #expect(try await rig.call("changing__count") == .text("1"))
        await rig.pool.closeIdle()
        let idle = await rig.pool.status(of: "changing", in: Self.contextA, enabled: true)
        #expect(idle.state == .idle)
        #expect(idle.toolCount == 3, "the tool list stays cached")
        #expect(try await rig.call("changing__count") == .text("1"), "a new process")
    }

    @Test func disablingOrChangingAServerClosesItsConnection() async throws {
        let rig = Rig()
        try await rig.add(Self.script("changing_server.py"))
        #expect(try await rig.call("changing__count") == .text("1"))
        _ = try await rig.admin.setEnabled(false, named: "changing", in: Self.contextA)
        #expect(try await rig.pool.tools(for: Self.contextA).isEmpty)
        #expect(await rig.pool.status(of: "changing", in: Self.contextA, enabled: false).state == .disabled)
        _ = try await rig.admin.setEnabled(true, named: "changing", in: Self.contextA)
        #expect(try await rig.call("changing__count") == .text("1"), "reconnected afresh")
        try await rig.admin.remove(named: "changing", in: Self.contextA)
        #expect(try await rig.pool.tools(for: Self.contextA).isEmpty)
    }

    @Test func healthIsCheckedByPingBeforeReusingAQuietConnection() async throws {
        let rig = Rig(settings: MCPPoolSettings(healthCheckAfter: .zero, turnWait: .seconds(600)))
        try await rig.add(Self.script("changing_server.py"))
        #expect(try await rig.call("changing__count") == .text("1"))
        #expect(try await rig.call("changing__count") == .text("2"), "a healthy connection is reused after its ping")
        let status = await rig.pool.status(of: "changing", in: Self.contextA, enabled: true)
        #expect(status.latencyMilliseconds != nil)
    }

    @Test func anHTTPServerIsUsedThroughTheGuardAndAnExpiredSessionIsReinitialised() async throws {
        let server = try await PythonHTTPServer.start([])
        defer { server.stop() }
        let loopback = NetworkGuard(
            policy: URLPolicy(allowedPorts: [server.port], allowList: [try NetworkAllowEntry(parsing: "127.0.0.1:\(server.port)")]),
            resolver: SystemHostResolver())
        let rig = Rig(networkGuard: loopback)
        let definition = MCPServerDefinition(
            name: "web", transport: .http, url: "http://127.0.0.1:\(server.port)/mcp",
            headers: [.init(name: "X-Api-Key", value: "k3y-sealed", secret: true)])
        _ = try await rig.admin.add(definition, in: Self.contextA)
        #expect(try await rig.call("web__echo", ["text": "over http"]) == .text("over http"))
        #expect(try await rig.call("web__header", ["name": "x-api-key"]) == .text("k3y-sealed"), "the sealed header is sent")
        // The server forgets the session (as after its idle timeout). Its own answer may be lost
        // with the session; the next call is refused with 404, re-initialises and runs.
        do {
            _ = try await rig.call("web__expire_session")
        } catch let error as ToolError {
            #expect("\(error)".contains("session expired"), "\(error)")
        }
        #expect(try await rig.call("web__echo", ["text": "again"]) == .text("again"))
        #expect(await rig.pool.status(of: "web", in: Self.contextA, enabled: true).state == .connected)
        // Without the allow-list entry the same URL is refused before anything is stored.
        let closed = Rig()
        await #expect {
            _ = try await closed.admin.add(definition, in: Self.contextA)
        } throws: { error in
            "\(error)".contains("TERN_NETWORK_ALLOW")
        }
    }

    /// Kills the server process of `name` (asking it for its pid), and waits until the pool's
    /// connection to it has ended.
    private func killServer(_ rig: Rig, named name: String) async throws {
        let pid = try #require(Int32(try await rig.call("\(name)__pid").text))
        #expect(kill(pid, SIGKILL) == 0)
        await rig.pool.waitUntilConnectionEnds(server: name, in: Self.contextA)
        #expect(await rig.pool.status(of: name, in: Self.contextA, enabled: true).state != .connected)
    }
}
