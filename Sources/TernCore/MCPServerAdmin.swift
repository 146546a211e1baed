import Foundation

/// A server definition as an admin types it (API body, CLI flags): values in plain text, each
/// marked secret or not. Secret values are sealed before they are stored and never shown again.
package struct MCPServerDefinition: Sendable, Equatable {
    /// One environment variable or header as typed.
    package struct Setting: Sendable, Equatable {
        package var name: String
        package var value: String
        package var secret: Bool

        package init(name: String, value: String, secret: Bool = false) {
            self.name = name
            self.value = value
            self.secret = secret
        }
    }

    package var name: String
    package var transport: MCPTransportKind
    package var command: String?
    package var arguments: [String]
    package var environment: [Setting]
    package var url: String?
    package var headers: [Setting]
    package var enabled: Bool

    package init(
        name: String, transport: MCPTransportKind, command: String? = nil, arguments: [String] = [],
        environment: [Setting] = [], url: String? = nil, headers: [Setting] = [], enabled: Bool = true
    ) {
        self.name = name
        self.transport = transport
        self.command = command
        self.arguments = arguments
        self.environment = environment
        self.url = url
        self.headers = headers
        self.enabled = enabled
    }
}

/// Where a server is defined.
package enum MCPServerScope: String, Sendable, Codable, CaseIterable {
    /// In `mcp.yaml`: every context gets it (each context with its own connection).
    case global
    /// In table `mcp_servers`, for one context.
    case context
}

/// A server's connection state, for diagnostics and the admin API.
package struct MCPServerStatus: Sendable, Equatable {
    package enum State: String, Sendable, Codable, CaseIterable {
        /// Connected and answering.
        case connected
        /// Not connected: never used yet, or closed after being idle.
        case idle
        /// The last attempt failed; the next one waits for the backoff.
        case failing
        /// Switched off by an admin.
        case disabled
    }

    package var state: State
    /// The last failure, one line, without secrets.
    package var lastError: String?
    /// Round trip of the last `ping` or `initialize`, in milliseconds.
    package var latencyMilliseconds: Double?
    /// How many tools the server offers (after the last `tools/list`).
    package var toolCount: Int?

    package init(state: State, lastError: String? = nil, latencyMilliseconds: Double? = nil, toolCount: Int? = nil) {
        self.state = state
        self.lastError = lastError
        self.latencyMilliseconds = latencyMilliseconds
        self.toolCount = toolCount
    }
}

/// A server as the admin API and CLI show it. Secret values are never included.
package struct MCPServerSummary: Sendable, Equatable {
    /// An environment variable or header: its value when plain, `nil` when secret.
    package struct Setting: Sendable, Equatable {
        package var name: String
        package var value: String?
        package var secret: Bool

        package init(name: String, value: String?, secret: Bool) {
            self.name = name
            self.value = value
            self.secret = secret
        }
    }

    package var name: String
    package var scope: MCPServerScope
    package var transport: MCPTransportKind
    package var command: String?
    package var arguments: [String]
    package var environment: [Setting]
    package var url: String?
    package var headers: [Setting]
    package var enabled: Bool
    /// In this process; `idle` until the server was first used.
    package var status: MCPServerStatus

    package init(
        name: String, scope: MCPServerScope, transport: MCPTransportKind, command: String?, arguments: [String],
        environment: [Setting], url: String?, headers: [Setting], enabled: Bool, status: MCPServerStatus
    ) {
        self.name = name
        self.scope = scope
        self.transport = transport
        self.command = command
        self.arguments = arguments
        self.environment = environment
        self.url = url
        self.headers = headers
        self.enabled = enabled
        self.status = status
    }
}

/// What `tern mcp test` and `POST …/mcp-servers/{name}/test` report.
package struct MCPServerTestReport: Sendable, Equatable {
    /// One tool as the agent sees it.
    package struct ToolEntry: Sendable, Equatable {
        /// The agent's name for it, `<server>__<tool>` sanitised.
        package var name: String
        /// The server's own name for it.
        package var serverToolName: String
        package var description: String
        package var risk: ToolRisk

        package init(name: String, serverToolName: String, description: String, risk: ToolRisk) {
            self.name = name
            self.serverToolName = serverToolName
            self.description = description
            self.risk = risk
        }
    }

    /// The protocol version the server agreed to.
    package var protocolVersion: String
    /// The server's name and version from `initialize`.
    package var serverName: String
    package var serverVersion: String
    package var tools: [ToolEntry]
    /// Time to connect and initialize (includes spawning a stdio server).
    package var connectTime: Duration
    /// Round trip of one `ping` on the open connection.
    package var pingRoundTrip: Duration

    package init(
        protocolVersion: String, serverName: String, serverVersion: String, tools: [ToolEntry],
        connectTime: Duration, pingRoundTrip: Duration
    ) {
        self.protocolVersion = protocolVersion
        self.serverName = serverName
        self.serverVersion = serverVersion
        self.tools = tools
        self.connectTime = connectTime
        self.pingRoundTrip = pingRoundTrip
    }
}

/// The server could not be reached or did not speak MCP; the message names the server and
/// what went wrong (never a secret). The admin API answers 502 with it, the CLI exits 1.
package struct MCPServerUnreachable: Error, Equatable, Sendable, CustomStringConvertible {
    package var message: String

    package init(_ message: String) { self.message = message }

    package var description: String { message }
}

/// What admins can do with a context's MCP servers (admin API and CLI). Lookups are scoped to
/// the context: another context's server is "not found".
package protocol MCPServerAdmin: Sendable {
    /// The global servers (from `mcp.yaml`) and the context's own, by name, with their status.
    func servers(in context: ContextID) async throws -> [MCPServerSummary]
    /// What the single-context read lists, for each of `contexts` (every one gets an entry, the
    /// global servers at least), with one read of the store for them all.
    func servers(in contexts: Set<ContextID>) async throws -> [ContextID: [MCPServerSummary]]
    /// Adds a context server. Secret values are sealed before they are stored; a stdio command
    /// must exist and be executable now.
    /// - Throws: ``StoreError/invalid(_:)`` naming the problem (bad name, missing command,
    ///   command not found, URL refused by the network guard, …), ``StoreError/conflict(_:)``
    ///   when the name is taken (also by a global server), ``StoreError/notFound(_:)`` for an
    ///   unknown context.
    func add(_ definition: MCPServerDefinition, in context: ContextID) async throws -> MCPServerSummary
    /// Enables or disables a context server; disabling closes its connection.
    /// - Throws: ``StoreError/notFound(_:)``; ``StoreError/invalid(_:)`` for a global server
    ///   (change `mcp.yaml` instead).
    func setEnabled(_ enabled: Bool, named name: String, in context: ContextID) async throws -> MCPServerSummary
    /// Removes a context server and closes its connection.
    /// - Throws: ``StoreError/notFound(_:)``; ``StoreError/invalid(_:)`` for a global server.
    func remove(named name: String, in context: ContextID) async throws
    /// Connects afresh (not through the pool), lists the tools and pings once.
    /// - Throws: ``StoreError/notFound(_:)``; ``MCPServerUnreachable`` when the server fails.
    func test(named name: String, in context: ContextID) async throws -> MCPServerTestReport
}
