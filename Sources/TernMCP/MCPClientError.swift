import Foundation
import TernCore

/// Why talking to an MCP server failed. Every case names the server; none carries a secret
/// (header values and environment values never appear in messages).
package enum MCPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The server process could not be started (no such command, not executable, …).
    case launchFailed(server: String, reason: String)
    /// The connection ended: the process exited, the stream broke, the server went away.
    case connectionClosed(server: String, reason: String)
    /// The HTTP server no longer knows the session (HTTP 404): it did not run the request, and a
    /// new connection (a new `initialize`) is needed.
    case sessionExpired(server: String)
    /// An operation (`initialize`, `tools/list`, `tools/call`, `ping`) took too long.
    case timedOut(server: String, operation: String, after: Duration)
    /// The HTTP server answered with an error status.
    case httpStatus(server: String, status: Int, message: String)
    /// The network guard refused the URL (private address, bad scheme, …).
    case refused(server: String, reason: String)
    /// The server sent something that is not MCP (bad JSON, wrong content type, …).
    case protocolViolation(server: String, message: String)
    /// The server answered a request with a JSON-RPC error.
    case remote(server: String, message: String)
    /// The server is configured but disabled, or unknown.
    case unavailable(server: String, reason: String)

    package var description: String {
        switch self {
        case .launchFailed(let server, let reason):
            "MCP server \"\(server)\": could not start: \(reason)"
        case .connectionClosed(let server, let reason):
            "MCP server \"\(server)\": connection closed: \(reason)"
        case .sessionExpired(let server):
            "MCP server \"\(server)\": session expired (HTTP 404); reconnect to re-initialise"
        case .timedOut(let server, let operation, let after):
            "MCP server \"\(server)\": \(operation) did not answer within \(after.shortDescription)"
        case .httpStatus(let server, let status, let message):
            "MCP server \"\(server)\": HTTP \(status)\(message.isEmpty ? "" : ": \(message)")"
        case .refused(let server, let reason):
            "MCP server \"\(server)\": refused by the network guard: \(reason)"
        case .protocolViolation(let server, let message):
            "MCP server \"\(server)\": protocol error: \(message)"
        case .remote(let server, let message):
            "MCP server \"\(server)\": \(message)"
        case .unavailable(let server, let reason):
            "MCP server \"\(server)\": \(reason)"
        }
    }
}

extension MCPClientError {
    /// How an HTTP connection ends when the server no longer knows its session (a request got
    /// HTTP 404): the request refused fails with ``sessionExpired(server:)`` instead.
    package static func sessionExpiryClose(server: String) -> MCPClientError {
        .connectionClosed(server: server, reason: "session expired (HTTP 404); reconnect to re-initialise")
    }

    /// Whether the error means the connection is gone (a new one is needed for the next call).
    package var endsTheConnection: Bool {
        switch self {
        case .connectionClosed, .sessionExpired: true
        default: false
        }
    }
}
