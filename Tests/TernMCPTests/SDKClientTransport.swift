import Foundation
import Logging
import MCP

@testable import TernMCP

/// One of Tern's transports as the official SDK's `Transport`, so the SDK's `Client` (a client
/// Tern did not write) can drive it in the transport tests. Tern itself speaks MCP through
/// ``MCPSession``, not the SDK.
actor SDKClientTransport: MCP.Transport {
    let inner: any ClosableTransport
    nonisolated let logger = MCPTestEnvironment.logger

    init(_ inner: any ClosableTransport) { self.inner = inner }

    func connect() async throws { try await inner.connect() }
    func disconnect() async { await inner.disconnect() }
    func send(_ data: Data) async throws { try await inner.send(data) }

    /// The inner transport's stream, relayed (the SDK asks for it synchronously).
    nonisolated func receive() -> AsyncThrowingStream<Data, any Error> {
        let inner = self.inner
        return AsyncThrowingStream { continuation in
            let relay = Task {
                do {
                    for try await message in await inner.receive() { continuation.yield(message) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in relay.cancel() }
        }
    }
}

extension Client {
    /// Connects this SDK client to one of Tern's transports.
    @discardableResult
    func connect(tern transport: any ClosableTransport) async throws -> Initialize.Result {
        try await connect(transport: SDKClientTransport(transport))
    }
}
