import Foundation
import Hummingbird
import TernCore

/// `contexts/{id}/mcp-servers…`: a context's MCP servers. Secret values (`secret_env`,
/// `secret_headers`) go in once and never come out: answers show their names with `value: null`.
extension AdminController {
    func addMCPRoutes(to group: RouterGroup<TernRequestContext>) {
        group.get("contexts/:id/mcp-servers", use: listMCPServers)
        group.post("contexts/:id/mcp-servers", use: addMCPServer)
        group.patch("contexts/:id/mcp-servers/:name", use: setMCPServerEnabled)
        group.delete("contexts/:id/mcp-servers/:name", use: removeMCPServer)
        group.post("contexts/:id/mcp-servers/:name/test", use: testMCPServer)
    }

    /// `GET contexts/{id}/mcp-servers`: the global servers and the context's own, with status.
    @Sendable func listMCPServers(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (mcp, id) = try await mcpScope(context)
        return try json(.ok, ["data": .array(try await mcp.servers(in: id).map(MCPJSON.summary))])
    }

    /// `POST contexts/{id}/mcp-servers` with a definition; 201 with its summary.
    @Sendable func addMCPServer(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (mcp, id) = try await mcpScope(context)
        let definition = try MCPJSON.definition(try await JSONBody.read(request, context: context))
        // A command on this host is an admin's to define; an owner may add HTTP servers.
        if definition.transport == .stdio { try await scope(of: context).require(id, for: .configureHost) }
        return try json(.created, MCPJSON.summary(try await mcp.add(definition, in: id)))
    }

    /// `PATCH contexts/{id}/mcp-servers/{name}` with `{"enabled": bool}`.
    @Sendable func setMCPServerEnabled(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (mcp, id) = try await mcpScope(context)
        let name = try context.parameters.require("name")
        let body = try await JSONBody.read(request, context: context)
        try body.rejectUnknownKeys(allowed: ["enabled"])
        guard let enabled = try body.optionalBool("enabled") else {
            throw APIError.invalid("'enabled' is required (true or false)", param: "enabled", code: "missing_required_parameter")
        }
        return try json(.ok, MCPJSON.summary(try await mcp.setEnabled(enabled, named: name, in: id)))
    }

    /// `DELETE contexts/{id}/mcp-servers/{name}`.
    @Sendable func removeMCPServer(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (mcp, id) = try await mcpScope(context)
        try await mcp.remove(named: try context.parameters.require("name"), in: id)
        return Response(status: .noContent)
    }

    /// `POST contexts/{id}/mcp-servers/{name}/test`: connects afresh, lists tools, pings once.
    /// A server that fails is the upstream's fault: 502 with its one-line reason.
    @Sendable func testMCPServer(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (mcp, id) = try await mcpScope(context)
        let name = try context.parameters.require("name")
        do {
            return try json(.ok, MCPJSON.report(try await mcp.test(named: name, in: id)))
        } catch let error as MCPServerUnreachable {
            throw APIError(status: .badGateway, message: error.message, type: "upstream_error", code: "mcp_unreachable")
        }
    }

    /// The context (404 when unknown) and the MCP admin.
    private func mcpScope(_ context: TernRequestContext) async throws -> (any MCPServerAdmin, ContextID) {
        (mcpServers, try await existingContext(context, for: .configure))
    }
}

/// How MCP servers look in the admin API, and how a definition is read from a body.
enum MCPJSON {
    static let definitionKeys: Set<String> = [
        "name", "transport", "command", "args", "env", "secret_env", "url", "headers", "secret_headers", "enabled",
    ]

    /// Reads a `POST` body; every problem names its field. What the body cannot show (a command
    /// that does not exist, a URL the network guard refuses, a taken name) the admin service
    /// checks.
    static func definition(_ body: JSONBody) throws -> MCPServerDefinition {
        try body.rejectUnknownKeys(allowed: definitionKeys)
        let name = try body.string("name")
        if let problem = MCPServerName.problem(with: name) { throw APIError.invalid(problem, param: "name") }
        let command = try body.optionalString("command")
        let url = try body.optionalString("url")
        let transport = try transport(body, command: command, url: url)
        let environment = try settings(body, plain: "env", secret: "secret_env")
        let headers = try settings(body, plain: "headers", secret: "secret_headers")
        let arguments = try body.optionalStringArray("args") ?? []
        switch transport {
        case .stdio:
            guard command != nil else {
                throw APIError.invalid("'command' is required for a stdio server", param: "command", code: "missing_required_parameter")
            }
            if url != nil { throw APIError.invalid("a stdio server takes 'command', not 'url'", param: "url") }
            for key in ["headers", "secret_headers"] where body.fields[key] != nil {
                throw APIError.invalid("a stdio server takes 'env'/'secret_env', not '\(key)'", param: key)
            }
        case .http:
            guard url != nil else {
                throw APIError.invalid("'url' is required for an http server", param: "url", code: "missing_required_parameter")
            }
            for key in ["command", "args", "env", "secret_env"] where body.fields[key] != nil {
                throw APIError.invalid("an http server takes 'url', 'headers' and 'secret_headers', not '\(key)'", param: key)
            }
        }
        return MCPServerDefinition(
            name: name, transport: transport, command: command, arguments: arguments, environment: environment,
            url: url, headers: headers, enabled: try body.optionalBool("enabled") ?? true)
    }

    /// The given transport, or the one `command` (stdio) or `url` (http) implies.
    private static func transport(_ body: JSONBody, command: String?, url: String?) throws -> MCPTransportKind {
        if let given = try body.optionalEnum("transport", MCPTransportKind.self) { return given }
        switch (command, url) {
        case (.some, nil): return .stdio
        case (nil, .some): return .http
        case (.some, .some):
            throw APIError.invalid("give 'command' (a stdio server) or 'url' (an http server), not both", param: "url")
        case (nil, nil):
            throw APIError.invalid(
                "'command' (a stdio server) or 'url' (an http server) is required", param: "command",
                code: "missing_required_parameter")
        }
    }

    /// Plain and secret values of one list, by name.
    private static func settings(_ body: JSONBody, plain: String, secret: String) throws -> [MCPServerDefinition.Setting] {
        let plainValues = try body.optionalStringMap(plain) ?? [:]
        let secretValues = try body.optionalStringMap(secret) ?? [:]
        if let both = plainValues.keys.sorted().first(where: { secretValues[$0] != nil }) {
            throw APIError.invalid("'\(both)' is in both '\(plain)' and '\(secret)'", param: secret)
        }
        let settings =
            plainValues.map { MCPServerDefinition.Setting(name: $0.key, value: $0.value) }
            + secretValues.map { MCPServerDefinition.Setting(name: $0.key, value: $0.value, secret: true) }
        return settings.sorted { $0.name < $1.name }
    }

    static func summary(_ summary: MCPServerSummary) -> JSONValue {
        func settings(_ list: [MCPServerSummary.Setting]) -> JSONValue {
            // A secret's value is never shown, even if a summary carried one.
            .array(
                list.map {
                    [
                        "name": .string($0.name), "value": $0.secret ? .null : $0.value.map(JSONValue.string) ?? .null,
                        "secret": .bool($0.secret),
                    ]
                })
        }
        return [
            "name": .string(summary.name), "scope": .string(summary.scope.rawValue),
            "transport": .string(summary.transport.rawValue), "command": summary.command.map(JSONValue.string) ?? .null,
            "args": .array(summary.arguments.map(JSONValue.string)), "env": settings(summary.environment),
            "url": summary.url.map(JSONValue.string) ?? .null, "headers": settings(summary.headers),
            "enabled": .bool(summary.enabled), "status": status(summary.status),
        ]
    }

    static func status(_ status: MCPServerStatus) -> JSONValue {
        [
            "state": .string(status.state.rawValue), "last_error": status.lastError.map(JSONValue.string) ?? .null,
            "latency_ms": status.latencyMilliseconds.map(JSONValue.number) ?? .null,
            "tools": status.toolCount.map { .number(Double($0)) } ?? .null,
        ]
    }

    static func report(_ report: MCPServerTestReport) -> JSONValue {
        [
            "protocol_version": .string(report.protocolVersion),
            "server": ["name": .string(report.serverName), "version": .string(report.serverVersion)],
            "tools": .array(
                report.tools.map {
                    [
                        "name": .string($0.name), "server_tool_name": .string($0.serverToolName),
                        "description": .string($0.description), "risk": .string($0.risk.rawValue),
                    ]
                }),
            "connect_ms": .number(milliseconds(report.connectTime)), "ping_ms": .number(milliseconds(report.pingRoundTrip)),
        ]
    }

    /// Rounded to 0.1 ms: finer digits are noise.
    private static func milliseconds(_ duration: Duration) -> Double {
        (duration.timeInterval * 10_000).rounded() / 10
    }
}

extension JSONBody {
    /// Refuses keys the endpoint does not know, so a typo (`secret-env`) is not silently dropped.
    func rejectUnknownKeys(allowed: Set<String>) throws {
        let unknown = fields.keys.filter { !allowed.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
        throw APIError.invalid(
            "unknown field\(unknown.count == 1 ? "" : "s") \(names); expected \(allowed.sorted().joined(separator: ", "))",
            param: first, code: "unknown_parameter")
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .bool(let bool) = value else {
            throw APIError.invalid("'\(key)' must be a boolean, got \(value.typeName)", param: key)
        }
        return bool
    }

    func optionalStringArray(_ key: String) throws -> [String]? {
        guard let value = fields[key], value != .null else { return nil }
        guard let array = value.arrayValue else {
            throw APIError.invalid("'\(key)' must be an array of strings, got \(value.typeName)", param: key)
        }
        return try array.enumerated().map { index, element in
            guard let string = element.stringValue else {
                throw APIError.invalid("'\(key)[\(index)]' must be a string, got \(element.typeName)", param: key)
            }
            return string
        }
    }

    func optionalStringMap(_ key: String) throws -> [String: String]? {
        guard let value = fields[key], value != .null else { return nil }
        guard let object = value.objectValue else {
            throw APIError.invalid("'\(key)' must be an object of strings, got \(value.typeName)", param: key)
        }
        var strings: [String: String] = [:]
        for (name, element) in object.sorted(by: { $0.key < $1.key }) {
            guard let string = element.stringValue else {
                throw APIError.invalid("'\(key).\(name)' must be a string, got \(element.typeName)", param: key)
            }
            strings[name] = string
        }
        return strings
    }
}
