import Foundation
import Logging
import Testing
import TernCore
import TernMCP
import TernNetwork
import TernStore
import TernTesting

/// An MCP URL refused by the network guard says which rule refused it and what to add, both when
/// an admin adds the server and when a transport connects.
@Suite struct MCPAllowListHintTests {
    /// `TERN_NETWORK_ALLOW=127.0.0.1` with the default ports.
    static let guardian = NetworkGuard(
        policy: URLPolicy(allowList: [NetworkAllowEntry(host: .ip(IPAddress(127, 0, 0, 1)))]), resolver: SystemHostResolver())
    static let url = "http://127.0.0.1:41417/mcp"

    @Test func add_bareLoopbackEntry_otherPort_namesThePortRuleAndTheEntry() async throws {
        let catalog = MCPServerCatalog(
            store: MemoryMCPServerStore(), globals: [], secretBox: AESGCMSecretBox(secretKey: Array(repeating: 7, count: 32)))
        let connector = MCPConnector(
            timeouts: MCPTimeouts(connect: .seconds(5)), logger: Logger(label: "test"),
            makeTransport: MCPTransports.live(networkGuard: Self.guardian, logger: Logger(label: "test")))
        let pool = MCPClientPool(directory: catalog, connector: connector, logger: Logger(label: "test"))
        let admin = MCPServerAdminService(catalog: catalog, pool: pool, networkGuard: Self.guardian)
        await #expect {
            _ = try await admin.add(MCPServerDefinition(name: "local", transport: .http, url: Self.url), in: "context-a")
        } throws: { error in
            let text = "\(error)"
            return text.contains("port 41417 is not allowed for 127.0.0.1")
                && text.contains("add 127.0.0.1:41417 to TERN_NETWORK_ALLOW")
                && !text.contains("add the host to TERN_NETWORK_ALLOW")
        }
        #expect(try await catalog.store.servers(in: "context-a").isEmpty)
    }

    @Test func connect_refusal_carriesTheHint() async throws {
        let transport = StreamableHTTPTransport(
            serverName: "local", url: Self.url, headers: [:], networkGuard: Self.guardian, logger: Logger(label: "test"))
        await #expect {
            try await transport.connect()
        } throws: { error in
            guard case .refused(let server, let reason) = error as? MCPClientError else { return false }
            return server == "local" && reason.contains("port 41417 is not allowed for 127.0.0.1")
                && reason.contains("add 127.0.0.1:41417 to TERN_NETWORK_ALLOW")
        }
        await transport.disconnect()
    }
}
