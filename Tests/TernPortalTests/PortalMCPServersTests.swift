import Foundation
import HTTPTypes
import HummingbirdTesting
import TernApp
import TernCore
import TernHTTP
import Testing

/// The MCP servers page: admins add (checked by the same service as the admin API, network
/// guard included), test, disable and remove servers; everyone else reads the list.
@Suite(.timeLimit(.minutes(2))) struct PortalMCPServersTests {
    /// Port 9 (discard) on loopback: allowed by the network rules here, and nothing answers.
    static let environment = ["TERN_NETWORK_ALLOW": "127.0.0.1:9"]
    static let closedURL = "http://127.0.0.1:9/mcp"

    static func add(_ browser: PortalBrowser, _ context: Context, _ fields: [String: String]) async throws
        -> (status: HTTPResponse.Status, html: String, headers: HTTPFields)
    {
        let token = try PortalBrowser.hidden("idempotency", in: try await browser.get("/admin/mcp-servers").html)
        return try await browser.post(
            "/admin/mcp-servers", fields.merging(["context": context.id.rawValue, "idempotency": token]) { $1 })
    }

    @Test func admin_addsAnHTTPServer_aRefusedURLSaysWhy_andTestShowsTheConnectionError() async throws {
        try await LiveTern.run(environment: Self.environment) { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: nil)
            let refused = try await Self.add(browser, team, ["name": "web", "transport": "http", "url": "http://10.0.0.1/mcp"])
            #expect(refused.status == .badRequest)
            #expect(refused.html.contains("data-problem") && refused.html.contains("10.0.0.1 is a private address"))
            #expect(try await dependencies.http.mcpServers.servers(in: team.id).isEmpty)

            let added = try await Self.add(
                browser, team,
                ["name": "web", "transport": "http", "url": Self.closedURL, "settings": "Authorization=Bearer ${cred:API_TOKEN}\r\n"])
            #expect(added.status == .seeOther && added.headers[.location] == "/admin/mcp-servers/\(team.id.rawValue)")
            let list = try await browser.get("/admin/mcp-servers/\(team.id.rawValue)").html
            #expect(list.contains(Self.closedURL) && list.contains("Authorization=Bearer ${cred:API_TOKEN}"))
            #expect(list.contains("/admin/mcp-servers/\(team.id.rawValue)/web/test"))

            let tested = try await browser.post("/admin/mcp-servers/\(team.id.rawValue)/web/test", [:])
            #expect(tested.status == .badGateway)
            #expect(tested.html.contains("data-problem") && tested.html.contains("The test of MCP server web failed"))
            #expect(tested.html.contains("href=\"/admin/mcp-servers/\(team.id.rawValue)\""))
            let entries = try await dependencies.http.audit.entries(AuditQuery(actor: browser.user.id.rawValue)).entries
            #expect(entries.map(\.action) == ["mcp_server.test", "mcp_server.add"])
            #expect(entries.first?.after == .object(["ok": .bool(false)]))
        }
    }

    @Test func admin_addsAStdioServer_disablesAndRemovesIt_audited() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: nil)
            let missing = try await Self.add(browser, team, ["name": "x", "transport": "stdio", "command": "no-such-mcp-server-xyz"])
            #expect(missing.status == .badRequest && missing.html.contains("no-such-mcp-server-xyz"))
            let badLine = try await Self.add(
                browser, team, ["name": "x", "transport": "stdio", "command": "/bin/cat", "settings": "MODE=1\nnot a setting"])
            #expect(badLine.status == .badRequest && badLine.html.contains("Line 2 of the headers or environment"))
            let badTransport = try await Self.add(browser, team, ["name": "x", "transport": "ftp", "command": "/bin/cat"])
            #expect(badTransport.status == .badRequest && badTransport.html.contains("stdio, http"))

            let added = try await Self.add(
                browser, team, ["name": "files", "transport": "stdio", "command": "/bin/cat", "arguments": "-u\r\nmy file\r\n"])
            #expect(added.status == .seeOther)
            let server = try #require(try await dependencies.http.mcpServers.servers(in: team.id).first)
            #expect(server.command == "/bin/cat" && server.arguments == ["-u", "my file"])
            #expect(try await browser.get("/admin/mcp-servers").html.contains("/bin/cat -u &#39;my file&#39;"))

            let base = "/admin/mcp-servers/\(team.id.rawValue)/files"
            #expect(try await browser.post(base + "/enabled", ["enabled": "false"]).status == .seeOther)
            #expect(try await dependencies.http.mcpServers.servers(in: team.id).first?.enabled == false)
            #expect(try await browser.get("/admin/mcp-servers").html.contains(">Enable</button>"))
            let bad = try await browser.post(base + "/enabled", ["enabled": "maybe"])
            #expect(bad.status == .badRequest && bad.html.contains("true or false"))
            #expect(try await browser.post(base + "/remove", [:]).status == .seeOther)
            #expect(try await dependencies.http.mcpServers.servers(in: team.id).isEmpty)
            #expect(try await browser.post(base + "/remove", [:]).status == .notFound)
            let entries = try await dependencies.http.audit.entries(AuditQuery(actor: browser.user.id.rawValue)).entries
            #expect(entries.map(\.action) == ["mcp_server.remove", "mcp_server.disable", "mcp_server.add"])
        }
    }

    @Test func test_ofAServerThatExitsAtOnce_saysSo_andFromTheContextPageLinksBackThere() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: nil)
            _ = try await dependencies.http.mcpServers.add(
                MCPServerDefinition(name: "broken", transport: .stdio, command: "/bin/false"), in: team.id)
            let detail = try await browser.get("/admin/contexts/\(team.id.rawValue)").html
            let action = "/admin/mcp-servers/\(team.id.rawValue)/broken/test"
            #expect(detail.contains("action=\"\(action)\""))
            let tested = try await browser.post(action, ["from": "context"])
            #expect(tested.status == .badGateway)
            #expect(tested.html.contains("MCP server &quot;broken&quot;"))
            #expect(tested.html.contains("href=\"/admin/contexts/\(team.id.rawValue)\""))
            #expect(try await browser.post("/admin/mcp-servers/\(team.id.rawValue)/nope/test", [:]).status == .notFound)
        }
    }

    /// The venv python with the `mcp` SDK (`TERN_TEST_MCP_PYTHON`), or `nil`.
    static let python: String? = ProcessInfo.processInfo.environment["TERN_TEST_MCP_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
    static let echoServer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("mcp-servers/echo_server.py").path

    @Test(.enabled(if: python != nil, "TERN_TEST_MCP_PYTHON is not set"))
    func test_ofARealServer_listsItsTools() async throws {
        let python = try #require(Self.python)
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: nil)
            let added = try await Self.add(
                browser, team, ["name": "echo", "transport": "stdio", "command": python, "arguments": Self.echoServer])
            #expect(added.status == .seeOther)
            let tested = try await browser.post("/admin/mcp-servers/\(team.id.rawValue)/echo/test", [:])
            #expect(tested.status == .ok, "\(tested.html)")
            #expect(tested.html.contains("Connected to tern-echo 1.0.0"))
            #expect(tested.html.contains("<code>echo__echo</code>") && tested.html.contains("dangerous"))
        }
    }

    /// An owner manages their context's servers (test, disable, remove, add over HTTP) but adds
    /// no stdio server, and reaches no other context's; a member sees the list read-only.
    @Test func owner_managesTheirContextsServers_butAddsNoStdioServer() async throws {
        try await LiveTern.run { dependencies, client in
            let tenants = dependencies.tenants
            let (olga, _) = try await tenants.provisionUser(email: "olga@example.test", displayName: "Olga", role: .user)
            let (mike, _) = try await tenants.provisionUser(email: "mike@example.test", displayName: "Mike", role: .user)
            let mine = try await tenants.createContext(name: "mine", kind: .shared, owner: olga.id)
            _ = try await tenants.addMember(mike.id, to: mine.id, role: .member)
            let theirs = try await tenants.createContext(name: "theirs", kind: .shared, owner: nil)
            // A server that exits at once: the context page's tool list does not wait for it.
            for context in [mine.id, theirs.id] {
                _ = try await dependencies.http.mcpServers.add(
                    MCPServerDefinition(name: "web", transport: .stdio, command: "/bin/false"), in: context)
            }
            let owner = try await PortalBrowser.signIn(dependencies, client, email: "olga@example.test", role: .user)
            let list = try await owner.get("/admin/mcp-servers")
            #expect(list.status == .ok && list.html.contains("<code>/bin/false</code>"))
            #expect(list.html.contains("You can add HTTP servers to the contexts you own"))
            #expect(list.html.contains("/\(mine.id.rawValue)/web/test") && list.html.contains(#"name="transport""#))
            #expect(!list.html.contains(#"value="stdio""#), "owners are not offered stdio")
            #expect(try await owner.get("/admin/contexts/\(mine.id.rawValue)").html.contains("/web/test"))

            let stdio = try await owner.post(
                "/admin/mcp-servers",
                [
                    "context": mine.id.rawValue, "name": "x", "transport": "stdio", "command": "/bin/cat",
                    "idempotency": AdminSession.makeToken(),
                ])
            #expect(stdio.status == .forbidden && stdio.html.contains("only admins can add an MCP server that runs a command"))
            let http = try await owner.post(
                "/admin/mcp-servers",
                [
                    "context": mine.id.rawValue, "name": "h", "transport": "http", "url": "http://10.0.0.1/mcp",
                    "idempotency": AdminSession.makeToken(),
                ])
            #expect(http.status == .badRequest, "the owner passes; the network guard refuses the address: \(http.html)")
            let base = "/admin/mcp-servers/\(mine.id.rawValue)/web"
            #expect(try await owner.post(base + "/test", [:]).status == .badGateway)
            #expect(try await owner.post(base + "/enabled", ["enabled": "false"]).status == .seeOther)
            #expect(try await dependencies.http.mcpServers.servers(in: mine.id).first?.enabled == false)
            let other = "/admin/mcp-servers/\(theirs.id.rawValue)/web"
            for refused in [try await owner.post(other + "/remove", [:]), try await owner.post(other + "/test", [:])] {
                #expect(refused.status == .forbidden)
            }
            #expect(try await owner.post(base + "/remove", [:]).status == .seeOther)
            #expect(try await dependencies.http.mcpServers.servers(in: mine.id).isEmpty)
            #expect(try await dependencies.http.mcpServers.servers(in: theirs.id).map(\.name) == ["web"])

            // Mike owns only his personal context: he gets no buttons for mine's servers.
            _ = try await dependencies.http.mcpServers.add(
                MCPServerDefinition(name: "web", transport: .stdio, command: "/bin/false"), in: mine.id)
            let member = try await PortalBrowser.signIn(dependencies, client, email: "mike@example.test", role: .user)
            let memberList = try await member.get("/admin/mcp-servers")
            #expect(memberList.html.contains("<code>/bin/false</code>"))
            #expect(!memberList.html.contains("/\(mine.id.rawValue)/web/"))
            #expect(try await member.post(base + "/test", [:]).status == .forbidden)
            // Someone who manages none of the page's contexts gets the list read-only.
            let readOnly = try await member.get("/admin/mcp-servers/\(mine.id.rawValue)")
            #expect(readOnly.html.contains("Read-only: the servers of a context are managed by its owners"))
            #expect(!readOnly.html.contains(#"name="transport""#))
        }
    }
}
