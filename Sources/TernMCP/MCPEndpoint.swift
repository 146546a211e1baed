import Foundation
package import Logging
package import TernCore

/// Where and how to reach one MCP server, with secrets opened. Lives in memory only, for as
/// long as it takes to connect; its description never shows values.
package struct MCPEndpoint: Sendable, Equatable, CustomStringConvertible {
    package enum Transport: Sendable, Equatable {
        /// A process: program, arguments and its entire environment.
        case stdio(command: String, arguments: [String], environment: [String: String])
        /// A Streamable HTTP endpoint and headers sent with every request.
        case http(url: String, headers: [String: String])
    }

    /// The server's name in Tern's configuration.
    package var name: String
    package var transport: Transport

    package init(name: String, transport: Transport) {
        self.name = name
        self.transport = transport
    }

    package var description: String {
        switch transport {
        case .stdio(let command, let arguments, let environment):
            "\(name) (stdio: \(([command] + arguments).joined(separator: " ")); env \(environment.keys.sorted()))"
        case .http(let url, let headers):
            "\(name) (http: \(url); headers \(headers.keys.sorted()))"
        }
    }
}

/// A server a context may use, as the pool needs it each turn: cheap to produce (no secret is
/// opened until ``resolve`` is called to connect).
package struct MCPServerDescriptor: Sendable {
    package var name: String
    package var scope: MCPServerScope
    package var enabled: Bool
    /// Changes whenever the definition changes; the pool reconnects when it does.
    package var fingerprint: String
    /// Opens the secrets and returns the endpoint.
    package var resolve: @Sendable () async throws -> MCPEndpoint

    package init(
        name: String, scope: MCPServerScope, enabled: Bool, fingerprint: String,
        resolve: @escaping @Sendable () async throws -> MCPEndpoint
    ) {
        self.name = name
        self.scope = scope
        self.enabled = enabled
        self.fingerprint = fingerprint
        self.resolve = resolve
    }
}

/// Where the pool learns which servers a context has.
package protocol MCPServerDirectory: Sendable {
    /// The global servers and the context's own, enabled or not, by name.
    func descriptors(for context: ContextID) async throws -> [MCPServerDescriptor]
}

/// Opens sessions: makes the transport for an endpoint and runs the handshake.
package struct MCPConnector: Sendable {
    /// Builds a transport (stdio or HTTP) for an endpoint; not yet connected.
    package typealias TransportFactory = @Sendable (MCPEndpoint) throws -> any ClosableTransport

    package var timeouts: MCPTimeouts
    private let makeTransport: TransportFactory
    private let logger: Logger

    package init(timeouts: MCPTimeouts = MCPTimeouts(), logger: Logger, makeTransport: @escaping TransportFactory) {
        self.timeouts = timeouts
        self.logger = logger
        self.makeTransport = makeTransport
    }

    /// Connects to `endpoint` and initialises a session.
    /// - Throws: ``MCPClientError``.
    package func connect(
        _ endpoint: MCPEndpoint, onToolsChanged: @escaping @Sendable () -> Void = {}
    ) async throws -> MCPSession {
        let transport = try makeTransport(endpoint)
        var logger = self.logger
        logger[metadataKey: "mcp_server"] = .string(endpoint.name)
        return try await MCPSession.open(
            serverName: endpoint.name, transport: transport, timeouts: timeouts, logger: logger,
            onToolsChanged: onToolsChanged)
    }
}
