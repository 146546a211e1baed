import TernCore

/// The admin API's tool permissions, MCP servers and diagnostics, as ``AdminController`` (`+Tools`,
/// `+MCP`) and ``buildRouter(_:)`` treat them. These need an admin user, even with a key limited
/// to a context the user owns.
extension OpenAPIDocument {
    static var adminToolPaths: [String: [String: JSONValue]] {
        let contextID = OAS.pathParameter("id", "The context's id.", example: ContextID.defaultContext.rawValue)
        let newServer = ["id": "$request.path.id", "name": "$response.body#/name"]
        let tool = OAS.pathParameter("tool", "The tool's name.")
        let server = OAS.pathParameter("name", "The MCP server's name.")
        let mcpErrors = OAS.authErrors
        let mcpBodyErrors = OAS.bodyErrors
        return [
            "\(adminPrefix)/contexts/{id}/tools": [
                "get": OAS.operation(
                    "listTools", "Every tool with its permission in the context", tag: "admin",
                    parameters: [contextID], responses: ok(list(of: OAS.ref("ToolStatus")), OAS.authErrors))
            ],
            "\(adminPrefix)/contexts/{id}/tools/{tool}": [
                "put": OAS.operation(
                    "setToolPermission", "Allow or deny a tool in the context", tag: "admin",
                    parameters: [contextID, tool],
                    body: OAS.object(["permission": OAS.oneOf(ToolPermission.self)], required: ["permission"]),
                    responses: ok(OAS.ref("ToolStatus"), OAS.bodyErrors)),
                "delete": OAS.operation(
                    "resetToolPermission", "Back to the configured default", tag: "admin",
                    parameters: [contextID, tool],
                    responses: ok(OAS.ref("ToolStatus"), OAS.authErrors, 400)),
            ],
            "\(adminPrefix)/contexts/{id}/mcp-servers": [
                "get": OAS.operation(
                    "listMCPServers", "The global MCP servers and the context's own, with their state", tag: "admin",
                    parameters: [contextID], responses: ok(list(of: OAS.ref("MCPServer")), mcpErrors)),
                "post": OAS.operation(
                    "addMCPServer", "Add an MCP server to the context", tag: "admin",
                    description: """
                        A stdio server (`command`, `args`, `env`, `secret_env`) or an http one (`url`, \
                        `headers`, `secret_headers`); `transport` is implied by `command` or `url` when absent. \
                        The command must exist on this host and the URL must pass the network guard (400 \
                        otherwise). Secret values go in once and never come out.
                        """,
                    parameters: [contextID], body: OAS.ref("MCPServerDefinition"),
                    responses: linked(
                        created(OAS.ref("MCPServer"), mcpBodyErrors, 409),
                        [
                            "setMCPServerEnabled": newServer, "removeMCPServer": newServer,
                            "testMCPServer": newServer,
                        ])),
            ],
            "\(adminPrefix)/contexts/{id}/mcp-servers/{name}": [
                "patch": OAS.operation(
                    "setMCPServerEnabled", "Switch an MCP server on or off", tag: "admin", parameters: [contextID, server],
                    body: OAS.object(["enabled": OAS.boolean()], required: ["enabled"], additional: false),
                    responses: ok(OAS.ref("MCPServer"), mcpBodyErrors)),
                "delete": OAS.operation(
                    "removeMCPServer", "Remove an MCP server", tag: "admin",
                    description: "A server defined in `mcp.yaml` cannot be removed here (400).",
                    parameters: [contextID, server],
                    responses: ["204": OAS.noContent].merging(mcpErrors.merging(OAS.errors(400)) { $1 }) { $1 }),
            ],
            "\(adminPrefix)/contexts/{id}/mcp-servers/{name}/test": [
                "post": OAS.operation(
                    "testMCPServer", "Connect afresh, list the tools, ping once", tag: "admin",
                    description: "A server that fails is the upstream's fault: 502 `mcp_unreachable` with its reason.",
                    parameters: [contextID, server],
                    responses: ok(OAS.ref("MCPTestReport"), mcpErrors, 502))
            ],
            "\(adminPrefix)/diagnostics": [
                "get": OAS.operation(
                    "diagnostics", "Named counters of the server's parts (MCP pool, web cache, Telegram)",
                    tag: "admin", responses: ok(OAS.object([:], additional: true), OAS.authErrors))
            ],
        ]
    }

    static var adminToolSchemas: [String: JSONValue] {
        [
            "ToolStatus": OAS.object(
                [
                    "name": OAS.string(), "description": OAS.string(), "risk": OAS.oneOf(ToolRisk.self),
                    "permission": OAS.oneOf(ToolPermission.self),
                    "source": OAS.oneOf(["context", "default"], "Whether the context sets the permission."),
                    "needs_approval": OAS.boolean(), "input_schema": OAS.object([:], "The tool's JSON schema."),
                ],
                required: ["name", "description", "risk", "permission", "source", "needs_approval", "input_schema"]),
            "MCPServerDefinition": mcpDefinition,
            "MCPServer": mcpServer,
            "MCPTestReport": OAS.object(
                [
                    "protocol_version": OAS.string(),
                    "server": OAS.object(["name": OAS.string(), "version": OAS.string()], required: ["name", "version"]),
                    "tools": OAS.array(
                        OAS.object(
                            [
                                "name": OAS.string("The name the agent sees, `<server>__<tool>`."),
                                "server_tool_name": OAS.string(), "description": OAS.string(),
                                "risk": OAS.oneOf(ToolRisk.self),
                            ], required: ["name", "server_tool_name", "description", "risk"])),
                    "connect_ms": OAS.number(), "ping_ms": OAS.number(),
                ], required: ["protocol_version", "server", "tools", "connect_ms", "ping_ms"]),
        ]
    }

    /// A stdio or an http server. Keys of the other transport are refused even when `null`, except
    /// a `null` `url` on a stdio server; unknown keys are refused.
    private static var mcpDefinition: JSONValue {
        let strings = OAS.nullable(OAS.object([:], additional: OAS.string()))
        let name = OAS.string(
            "Letters, digits, `_` and `-`; no `__`; not starting with `tern`.", minLength: 1,
            maxLength: MCPServerName.maximumLength, pattern: "^[A-Za-z0-9_-]+$")
        let enabled = OAS.nullable(OAS.boolean("`true` when absent."))
        let stdio = OAS.object(
            [
                "name": name, "transport": OAS.nullable(OAS.oneOf(["stdio"])),
                "command": OAS.string("The program: a path, or a name on `PATH` (which `env` may set)."),
                "args": OAS.nullable(OAS.array(OAS.string())), "env": strings,
                "secret_env": strings, "url": ["type": "null"], "enabled": enabled,
            ], required: ["name", "command"], additional: false, "A stdio server, started as a child process.")
        let http = OAS.object(
            [
                "name": name, "transport": OAS.nullable(OAS.oneOf(["http"])),
                "url": OAS.string("The streamable-HTTP endpoint."), "headers": strings,
                "secret_headers": strings, "enabled": enabled,
            ], required: ["name", "url"], additional: false, "A streamable-HTTP server.")
        return [
            "oneOf": [stdio, http],
            "description": "A name may not be in both `env` and `secret_env` (or `headers` and `secret_headers`).",
        ]
    }

    private static var mcpServer: JSONValue {
        let settings = OAS.array(
            OAS.object(
                [
                    "name": OAS.string(), "value": OAS.nullable(OAS.string("`null` for a secret.")),
                    "secret": OAS.boolean(),
                ], required: ["name", "value", "secret"]))
        return OAS.object(
            [
                "name": OAS.string(), "scope": OAS.oneOf(MCPServerScope.self),
                "transport": OAS.oneOf(MCPTransportKind.self), "command": OAS.nullable(OAS.string()),
                "args": OAS.array(OAS.string()), "env": settings, "url": OAS.nullable(OAS.string()),
                "headers": settings, "enabled": OAS.boolean(),
                "status": OAS.object(
                    [
                        "state": OAS.oneOf(MCPServerStatus.State.self),
                        "last_error": OAS.nullable(OAS.string()), "latency_ms": OAS.nullable(OAS.number()),
                        "tools": OAS.nullable(OAS.integer()),
                    ], required: ["state", "last_error", "latency_ms", "tools"]),
            ], required: ["name", "scope", "transport", "command", "args", "env", "url", "headers", "enabled", "status"])
    }
}
