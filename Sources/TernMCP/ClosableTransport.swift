package import MCP

/// Tern's MCP transports: the SDK's `Transport`, plus a way to learn that the connection has
/// ended, so calls in flight fail at once instead of waiting for their timeout (the SDK's
/// `Client` does not fail pending requests when its transport's stream ends).
///
/// Contract shared by ``StdioTransport`` and ``StreamableHTTPTransport``:
/// - `receive()` returns one stream of whole JSON-RPC messages (one `Data` per message). Once the
///   connection has ended the stream finishes by throwing ``MCPClientError/connectionClosed``;
///   a later `receive()` returns a stream that throws at once (the SDK's client loop calls
///   `receive()` again after a stream finishes, so a stream that finishes quietly would spin).
/// - `send(_:)` after the end throws ``MCPClientError/connectionClosed``.
/// - `disconnect()` is idempotent and releases everything (kills the process group, cancels
///   HTTP requests) before it returns.
package protocol ClosableTransport: Transport {
    /// Waits until the connection has ended and returns why (already ended: returns at once).
    func waitUntilClosed() async -> MCPClientError
}
