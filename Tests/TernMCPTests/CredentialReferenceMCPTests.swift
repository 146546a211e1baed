import Foundation
import Testing
import TernCore
import TernMCP
import TernNetwork
import TernStore
import TernTesting

/// `${cred:NAME}` in MCP server definitions, against the real `echo_server.py`: resolved from
/// the connecting context's credentials when the connection is made; a missing one is an error
/// naming it and the context, shown in the server's status.
@Suite(.enabled(if: MCPTestEnvironment.isAvailable), .serialized, .timeLimit(.minutes(2)))
struct CredentialReferenceMCPTests {
    static let contextA: ContextID = "context-a"
    static let contextB: ContextID = "context-b"

    struct Rig {
        let store = MemoryMCPServerStore()
        let vault: CredentialVault
        let catalog: MCPServerCatalog
        let pool: MCPClientPool

        init(globals: [MCPServerDefinition] = []) {
            let box = AESGCMSecretBox(secretKey: Array(repeating: 7, count: 32))
            vault = CredentialVault(store: MemoryCredentialStore(), box: box)
            catalog = MCPServerCatalog(store: store, globals: globals, secretBox: box, credentials: vault)
            let connector = MCPConnector(
                timeouts: MCPTimeouts(connect: .seconds(30)), logger: MCPTestEnvironment.logger,
                makeTransport: MCPTransports.live(
                    networkGuard: NetworkGuard(policy: URLPolicy(), resolver: SystemHostResolver()),
                    logger: MCPTestEnvironment.logger))
            pool = MCPClientPool(
                directory: catalog, connector: connector, settings: MCPPoolSettings(turnWait: .seconds(600)),
                logger: MCPTestEnvironment.logger)
        }

        func envTool(in context: ContextID) async throws -> any TernCore.Tool {
            let tools = try await pool.tools(for: context)
            return try #require(tools.first { $0.spec.name == "echo__env" }, "no echo__env in \(tools.map(\.spec.name))")
        }
    }

    static func echo(environment: [MCPServerDefinition.Setting]) throws -> MCPServerDefinition {
        MCPServerDefinition(
            name: "echo", transport: .stdio, command: try #require(MCPTestEnvironment.python),
            arguments: [MCPTestEnvironment.script("echo_server.py")], environment: environment)
    }

    @Test func storedServer_getsTheCredentialValueInItsEnvironment_openedAtConnect() async throws {
        let rig = Rig()
        defer { Task { [pool = rig.pool] in await pool.closeAll() } }
        _ = try await rig.vault.set("tok-123", named: "API_TOKEN", in: Self.contextA, by: nil)
        let definition = try Self.echo(environment: [.init(name: "TOKEN", value: "Bearer ${cred:API_TOKEN}")])
        _ = try await rig.store.add(try rig.catalog.record(for: definition, in: Self.contextA))
        let tool = try await rig.envTool(in: Self.contextA)
        let output = try await tool.call(["name": "TOKEN"], in: ToolContext(contextID: Self.contextA, userID: "u"))
        #expect(output == .text("Bearer tok-123"))
        // Stored as typed: the reference, never the value.
        let stored = try await rig.store.server(named: "echo", in: Self.contextA)
        #expect(stored.environment.first?.value == .plain("Bearer ${cred:API_TOKEN}"))
        await rig.pool.closeAll()
    }

    @Test func globalServer_resolvesInTheConnectingContext_andAMissingOneFailsNamingItAndTheContext() async throws {
        let rig = Rig(globals: [try Self.echo(environment: [.init(name: "TOKEN", value: "${cred:API_TOKEN}")])])
        defer { Task { [pool = rig.pool] in await pool.closeAll() } }
        _ = try await rig.vault.set("for-a", named: "API_TOKEN", in: Self.contextA, by: nil)
        let inA = try await rig.envTool(in: Self.contextA)
        #expect(try await inA.call(["name": "TOKEN"], in: ToolContext(contextID: Self.contextA, userID: "u")) == .text("for-a"))

        // Context B has no such credential: no tools, and the status says why.
        #expect(try await rig.pool.tools(for: Self.contextB).isEmpty)
        let status = await rig.pool.status(of: "echo", in: Self.contextB, enabled: true)
        #expect(status.state == .failing)
        #expect(
            status.lastError?.contains(
                "credential 'API_TOKEN' is not set in context context-b (set it with `tern credentials set`)") == true,
            "\(status.lastError ?? "no error")")
        await rig.pool.closeAll()
    }

    @Test func referenceInTheArguments_isRefused_neverLeftLiteralOrLogged() async throws {
        let rig = Rig()
        var definition = try Self.echo(environment: [])
        definition.arguments.append("--token=${cred:API_TOKEN}")
        _ = try await rig.store.add(try rig.catalog.record(for: definition, in: Self.contextA))
        let descriptor = try #require(try await rig.catalog.descriptors(for: Self.contextA).first)
        await #expect(
            throws: CredentialError.malformedReference(
                "MCP server 'echo': credential references work only in env and header values, not in its command or arguments")
        ) { try await descriptor.resolve() }
    }
}
