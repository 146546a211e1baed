package import Foundation

/// Tern's MCP transports: a connection that carries whole JSON-RPC messages both ways, and
/// says when and why it ended, so calls in flight fail at once instead of waiting for their
/// timeout.
///
/// Contract shared by ``StdioTransport`` and ``StreamableHTTPTransport``:
/// - `connect()` starts the connection (spawns the process, checks the URL); it does not speak
///   MCP (``MCPSession`` sends `initialize`).
/// - `receive()` returns one stream of whole JSON-RPC messages (one `Data` per message). Once the
///   connection has ended the stream finishes by throwing ``MCPClientError/connectionClosed``;
///   a later `receive()` returns a stream that throws at once.
/// - `send(_:)` after the end throws ``MCPClientError/connectionClosed``.
/// - `disconnect()` is idempotent and releases everything (kills the process group, cancels
///   HTTP requests) before it returns.
package protocol ClosableTransport: Actor {
    func connect() async throws
    func disconnect() async
    func send(_ data: Data) async throws
    func receive() -> AsyncThrowingStream<Data, any Error>
    /// Waits until the connection has ended and returns why (already ended: returns at once).
    func waitUntilClosed() async -> MCPClientError
}
