import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SQLKit
import Testing
import TernCore
import TernHTTP
import TernMCP
import TernNetwork
import TernStore
import TernTools

/// `/admin/api/v1/contexts/{id}/mcp-servers…` over the MCP servers as `tern serve` wires them
/// (admin service, SQL store, secret box, stdio and HTTP transports behind the network guard).
@Suite(.timeLimit(.minutes(1))) struct AdminMCPAPITests {
    let admin = AdminAPITests()
    let path = "contexts/\(ContextID.defaultContext)/mcp-servers"
    static let secret = "s3cret-token-do-not-show"

    /// The venv python with the `mcp` SDK (`scripts/test` sets `TERN_TEST_MCP_PYTHON`), or `nil`.
    static let python: String? = {
        let value = ProcessInfo.processInfo.environment["TERN_TEST_MCP_PYTHON"] ?? ""
        return value.isEmpty ? nil : value
    }()

    static let echoServer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("mcp-servers/echo_server.py").path

    func run(_ body: @Sendable (Harness, any TestClientProtocol) async throws -> Void) async throws {
        try await Harness.run(llm: false, body)
    }

    func servers(_ client: some TestClientProtocol, in context: String = ContextID.defaultContext.rawValue)
        async throws -> [String: [String: Any]]
    {
        let response = try await admin.call(client, .get, "contexts/\(context)/mcp-servers")
        #expect(response.status == .ok)
        #expect(!String(buffer: response.body).contains(Self.secret))
        let data = try #require(try json(response.body)["data"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: data.map { ($0["name"] as? String ?? "?", $0) })
    }

    func expectError(
        _ response: TestResponse, _ status: HTTPResponse.Status, param: String? = nil, mentioning text: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(response.status == status, sourceLocation: sourceLocation)
        let error = try errorBody(response.body)
        let message = error["message"] as? String ?? ""
        #expect(message.contains(text), "\(message)", sourceLocation: sourceLocation)
        if let param { #expect(error["param"] as? String == param, sourceLocation: sourceLocation) }
    }

    @Test func addStdio_thenList_showsItWithoutSecretValues() async throws {
        try await run { harness, client throws in
            let body =
                #"{"name":"files","command":"/bin/cat","args":["-u"],"env":{"MODE":"plain"},"secret_env":{"TOKEN":"\#(Self.secret)"}}"#
            let response = try await admin.call(client, .post, path, body)
            #expect(response.status == .created)
            #expect(!String(buffer: response.body).contains(Self.secret))
            let created = try json(response.body)
            #expect(created["transport"] as? String == "stdio")
            #expect(created["scope"] as? String == "context")

            let files = try #require(try await servers(client)["files"])
            #expect(files["command"] as? String == "/bin/cat")
            #expect(files["args"] as? [String] == ["-u"])
            #expect(files["url"] is NSNull)
            #expect(files["enabled"] as? Bool == true)
            let env = try #require(files["env"] as? [[String: Any]])
            #expect(env.map { $0["name"] as? String } == ["MODE", "TOKEN"])
            #expect(env[0]["value"] as? String == "plain" && env[0]["secret"] as? Bool == false)
            #expect(env[1]["value"] is NSNull && env[1]["secret"] as? Bool == true)
            let status = try #require(files["status"] as? [String: Any])
            #expect(status["state"] as? String == "idle")
            #expect(status["tools"] is NSNull)
            // Sealed at rest too.
            let stored = try await harness.database.read { db in
                try await db.raw("SELECT environment AS e FROM mcp_servers").first()
            }
            let environment = try #require(try stored?.decode(column: "e", as: String.self))
            #expect(environment.contains("TOKEN") && !environment.contains(Self.secret))
        }
    }

    @Test func badBodies_nameTheField_andStoreNothing() async throws {
        try await run { harness, client throws in
            try expectError(
                try await admin.call(client, .post, path, #"{"name":"x","transport":"stdio"}"#), .badRequest,
                param: "command", mentioning: "'command' is required")
            try expectError(
                try await admin.call(client, .post, path, #"{"name":"Bad Name!","command":"/bin/cat"}"#), .badRequest,
                param: "name", mentioning: "'Bad Name!'")
            try expectError(
                try await admin.call(client, .post, path, #"{"name":"x","command":"/bin/cat","url":"https://example.com/mcp"}"#),
                .badRequest, mentioning: "'command' (a stdio server) or 'url' (an http server), not both")
            try expectError(
                try await admin.call(client, .post, path, #"{"name":"x","command":"/bin/cat","secret-env":{"K":"v"}}"#),
                .badRequest, param: "secret-env", mentioning: "unknown field 'secret-env'")
            try expectError(
                try await admin.call(client, .post, path, #"{"name":"x","command":"no-such-mcp-server-xyz"}"#),
                .badRequest, mentioning: "command 'no-such-mcp-server-xyz' not found")
            try expectError(
                try await admin.call(client, .post, path, #"{"name":"x","command":"/bin/cat","env":{"K":1}}"#),
                .badRequest, param: "env", mentioning: "'env.K' must be a string")
            try expectError(
                try await admin.call(client, .post, path, #"{"name":"x","command":"/bin/cat","enabled":"yes"}"#),
                .badRequest, param: "enabled", mentioning: "boolean")
            let refused = try await admin.call(client, .post, path, #"{"name":"web","url":"http://10.0.0.1/mcp"}"#)
            try expectError(refused, .badRequest, mentioning: "10.0.0.1 is a private address")
            try expectError(refused, .badRequest, mentioning: "TERN_NETWORK_ALLOW")
            try expectError(
                try await admin.call(client, .post, path, #"{"name":"web","url":"http://10.0.0.1/mcp","env":{"K":"v"}}"#),
                .badRequest, param: "env", mentioning: "not 'env'")
            try expectError(
                try await admin.call(client, .post, "contexts/no-such-context/mcp-servers", #"{"name":"x","command":"/bin/cat"}"#),
                .notFound, mentioning: "no-such-context")
            #expect(try await harness.count("mcp_servers") == 0)
        }
    }

    @Test func duplicate_isAConflict_andTheFirstStaysUnchanged() async throws {
        try await run { harness, client throws in
            var response = try await admin.call(client, .post, path, #"{"name":"files","command":"/bin/cat","args":["first"]}"#)
            #expect(response.status == .created)
            response = try await admin.call(client, .post, path, #"{"name":"files","command":"/bin/echo","args":["second"]}"#)
            try expectError(response, .conflict, mentioning: "'files' already exists")
            let files = try #require(try await servers(client)["files"])
            #expect(files["command"] as? String == "/bin/cat")
            #expect(files["args"] as? [String] == ["first"])
            #expect(try await harness.count("mcp_servers") == 1)
        }
    }

    @Test func patch_disablesAndEnables_deleteTwiceIsNotFound() async throws {
        try await run { _, client throws in
            _ = try await admin.call(client, .post, path, #"{"name":"files","command":"/bin/cat"}"#)
            var response = try await admin.call(client, .patch, "\(path)/files", #"{"enabled":false}"#)
            #expect(response.status == .ok)
            var body = try json(response.body)
            #expect(body["enabled"] as? Bool == false)
            #expect((body["status"] as? [String: Any])?["state"] as? String == "disabled")
            #expect(try await servers(client)["files"]?["enabled"] as? Bool == false)
            response = try await admin.call(client, .patch, "\(path)/files", #"{"enabled":true}"#)
            body = try json(response.body)
            #expect(body["enabled"] as? Bool == true)

            try expectError(
                try await admin.call(client, .patch, "\(path)/files", #"{}"#), .badRequest, param: "enabled",
                mentioning: "'enabled' is required")
            try expectError(
                try await admin.call(client, .patch, "\(path)/files", #"{"enabled":false,"name":"x"}"#), .badRequest,
                param: "name", mentioning: "unknown field 'name'")
            #expect(try await servers(client)["files"]?["enabled"] as? Bool == true)

            response = try await admin.call(client, .delete, "\(path)/files")
            #expect(response.status == .noContent)
            try expectError(try await admin.call(client, .delete, "\(path)/files"), .notFound, mentioning: "'files'")
            try expectError(
                try await admin.call(client, .patch, "\(path)/files", #"{"enabled":true}"#), .notFound, mentioning: "'files'")
            #expect(try await servers(client).isEmpty)
        }
    }

    @Test func anotherContext_cannotSeeChangeOrTestAServer() async throws {
        try await run { harness, client throws in
            _ = try await admin.call(client, .post, path, #"{"name":"files","command":"/bin/false"}"#)
            let other = try await harness.tenants.createContext(name: "other", kind: .shared, owner: nil)
            let otherPath = "contexts/\(other.id)/mcp-servers"

            #expect(try await servers(client, in: other.id.rawValue).isEmpty)
            for (method, suffix, body) in [
                (HTTPRequest.Method.patch, "files", #"{"enabled":false}"#), (.delete, "files", nil), (.post, "files/test", nil),
            ] {
                let response = try await admin.call(client, method, "\(otherPath)/\(suffix)", body)
                try expectError(response, .notFound, mentioning: "'files'")
            }
            // The name is per context: the other context may have its own.
            let response = try await admin.call(client, .post, otherPath, #"{"name":"files","command":"/bin/cat"}"#)
            #expect(response.status == .created)

            let files = try #require(try await servers(client)["files"])
            #expect(files["command"] as? String == "/bin/false")
            #expect(files["enabled"] as? Bool == true)
            #expect(try await harness.count("mcp_servers") == 2)
        }
    }

    /// A non-admin reaches only contexts they own; there they may add an HTTP server (through
    /// the network guard) but never a stdio one, which starts a command on this host.
    @Test func nonAdminKey_outsideItsContextsIsForbidden_ownerMayAddHTTPButNotStdio() async throws {
        try await run { harness, client throws in
            let (user, personal) = try await harness.tenants.provisionUser(
                email: "ann@example.com", displayName: "Ann", role: .user)
            let (_, key) = try await harness.keys.createKey(for: user.id, context: nil, name: "cli")
            var response = try await admin.call(client, .get, path, bearer: key)
            #expect(response.status == .forbidden)
            response = try await admin.call(client, .post, path, #"{"name":"files","command":"/bin/cat"}"#, bearer: key)
            #expect(response.status == .forbidden)
            let own = "contexts/\(personal.id)/mcp-servers"
            response = try await admin.call(client, .post, own, #"{"name":"files","command":"/bin/cat"}"#, bearer: key)
            #expect(response.status == .forbidden)
            #expect(try errorBody(response.body)["code"] as? String == "admin_required")
            #expect(
                try errorBody(response.body)["message"] as? String == PortalAccess.refusal(isAdmin: false, role: .owner, .configureHost))
            #expect(try await harness.count("mcp_servers") == 0)
            // HTTP: the owner passes the access check; the network guard still refuses a private address.
            response = try await admin.call(client, .post, own, #"{"name":"web","url":"http://10.0.0.1/mcp"}"#, bearer: key)
            #expect(response.status == .badRequest)
            #expect(try await harness.count("mcp_servers") == 0)
            response = try await admin.call(client, .get, own, bearer: key)
            #expect(response.status == .ok)
        }
    }

    @Test func test_serverThatExitsAtOnce_is502NamingIt() async throws {
        try await run { _, client throws in
            _ = try await admin.call(client, .post, path, #"{"name":"broken","command":"/bin/false"}"#)
            let response = try await admin.call(client, .post, "\(path)/broken/test")
            try expectError(response, .badGateway, mentioning: #"MCP server "broken""#)
            #expect(try errorBody(response.body)["code"] as? String == "mcp_unreachable")
            try expectError(try await admin.call(client, .post, "\(path)/nope/test"), .notFound, mentioning: "'nope'")
        }
    }

    @Test(.enabled(if: python != nil, "TERN_TEST_MCP_PYTHON is not set"))
    func test_realStdioServer_listsToolsAndPings() async throws {
        let python = try #require(Self.python)
        try await run { _, client throws in
            let body = JSONValue.object([
                "name": "echo", "command": .string(python), "args": [.string(Self.echoServer)],
                "secret_env": ["UNUSED_TOKEN": .string(Self.secret)],
            ]).jsonText
            var response = try await admin.call(client, .post, path, body)
            #expect(response.status == .created)
            response = try await admin.call(client, .post, "\(path)/echo/test")
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(!String(buffer: response.body).contains(Self.secret))
            let report = try json(response.body)
            #expect((report["protocol_version"] as? String)?.isEmpty == false)
            #expect((report["server"] as? [String: Any])?["name"] as? String == "tern-echo")
            #expect(report["connect_ms"] is Double || report["connect_ms"] is Int)
            let tools = try #require(report["tools"] as? [[String: Any]])
            let echo = try #require(tools.first { $0["name"] as? String == "echo__echo" })
            #expect(echo["server_tool_name"] as? String == "echo")
            #expect(tools.allSatisfy { ($0["name"] as? String)?.hasPrefix("echo__") == true })
            #expect(tools.first { $0["name"] as? String == "echo__delete_everything" }?["risk"] as? String == "dangerous")
        }
    }
}
