import AsyncHTTPClient
package import Foundation
package import Logging
import NIOCore
import NIOHTTP1
package import TernCore
package import TernNetwork

/// The MCP "Streamable HTTP" transport (spec 2025-06-18 / 2025-11-25), client side.
///
/// Each message is `POST`ed to the endpoint; the server answers `202` (notifications, responses),
/// one JSON body, or an SSE stream that carries notifications and then the response. After
/// `initialize` the transport sends `Mcp-Session-Id` (when the server gave one) and
/// `MCP-Protocol-Version` (sniffed from the initialize result as it passes, so the transport
/// needs nothing from the client above it), opens the optional `GET` stream for server-initiated messages, and resumes a
/// broken response stream with `Last-Event-ID` when the server numbers its events.
///
/// **Network guard.** ``connect()`` authorises the URL with the ``NetworkGuard`` (always: the
/// guard's admin allow-list, `TERN_NETWORK_ALLOW`, is how an internal server is opened) and
/// every request is pinned to the authorised address with `dnsOverride`, so a DNS answer cannot
/// change between the check and the connection. Redirects are never followed. Because
/// `dnsOverride` is a client-wide setting, the transport owns its `HTTPClient`, created in
/// `connect()` and shut down by ``disconnect()`` (call it, as for every ``ClosableTransport``).
///
/// **Failures.** An HTTP error status fails the one call (``send(_:)`` throws
/// ``MCPClientError/httpStatus(server:status:message:)``, and ``MCPSession`` fails that request
/// with it); the session goes on. `404` while a session is open means it expired: the connection ends
/// with a reason that tells the pool to reconnect. A server that cannot be reached any more ends
/// the connection. When the connection ends, requests still waiting get a JSON-RPC error, so no
/// caller hangs. No message carries a header value.
package actor StreamableHTTPTransport: ClosableTransport {
    /// The largest single JSON-RPC message accepted (16 MiB); a bigger one is a protocol violation.
    package static let maxMessageBytes = 16 * 1024 * 1024

    /// Where the transport logs; values go in metadata, never header values or message bodies.
    package nonisolated let logger: Logger

    let serverName: String
    let url: String
    let headers: [(name: String, value: String)]
    let networkGuard: NetworkGuard
    let requestTimeout: Duration
    let retry: RetryPolicy

    /// The client pinned to the authorised address; `nil` before `connect()` and after `disconnect()`.
    var http: HTTPClient?
    /// The URL every request goes to (the authorised one, fragment dropped).
    var endpoint = ""
    var sessionID: String?
    var protocolVersion: String?
    /// Ids of `initialize` requests whose result has not been seen: it tells the protocol version.
    var initializeIDs: Set<JSONRPCID> = []
    /// Requests the server accepted and has not answered; they are failed if the connection ends.
    var outstanding: Set<JSONRPCID> = []
    var eventStreamStarted = false
    var tasks: [Int: Task<Void, Never>] = [:]
    /// The POST reading each request's answer, so a cancelled request's stream is dropped.
    var requestTasks: [JSONRPCID: Task<Void, Never>] = [:]
    /// Released when no request is in flight any more (``waitUntilNoRequestsInFlight()``).
    var noRequestsInFlight: [OneShotSignal] = []
    var nextTaskNumber = 0
    var closedReason: MCPClientError?
    var closeWaiters: [CheckedContinuation<MCPClientError, Never>] = []
    var disconnecting: Task<Void, Never>?
    let messages: AsyncThrowingStream<Data, any Error>
    let sink: AsyncThrowingStream<Data, any Error>.Continuation

    /// Delays and attempt counts for re-opening streams; the defaults suit production.
    package struct RetryPolicy: Sendable {
        /// Attempts to resume one broken response stream, or to re-open the `GET` stream in a row.
        package var maxAttempts: Int
        /// The delay before the first retry when the server set none (`retry:`); doubled after
        /// each failure, up to `maxDelay`.
        package var initialDelay: Duration
        /// The longest delay, also the cap on a server's `retry:` value.
        package var maxDelay: Duration

        /// Builds a policy.
        package init(maxAttempts: Int = 3, initialDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(10)) {
            self.maxAttempts = maxAttempts
            self.initialDelay = initialDelay
            self.maxDelay = maxDelay
        }

        /// The waits between attempts: the server's `retry:` when it set one, else `initialDelay`
        /// doubled per failure; both capped at `maxDelay`. Unjittered: a stream resumes for one
        /// session, and a server's `retry:` is meant to be followed as given.
        package var backoff: Backoff { Backoff(base: initialDelay, cap: maxDelay, jitter: 0) }
    }

    /// Builds a transport; nothing is checked or sent before ``connect()``.
    ///
    /// - Parameters:
    ///   - serverName: The configured server name, used in errors and logs.
    ///   - url: The MCP endpoint (`https://host/mcp`).
    ///   - headers: Sent with every request (e.g. `Authorization`); values are never logged.
    ///     ``connect()`` refuses (``MCPClientError/unavailable(server:reason:)``) an invalid
    ///     header, or one the transport sets itself (`Accept`, `Content-Type`, `Host`,
    ///     `Mcp-Session-Id`, `MCP-Protocol-Version`, `Last-Event-ID`, …).
    ///   - networkGuard: Authorises the URL and gives the address to pin.
    ///   - requestTimeout: How long the server may take to answer one HTTP request: the status
    ///     line and headers, and a whole JSON body. SSE streams are not cut by it (a tool call may
    ///     run long); they end with the response, ``disconnect()``, or the caller's own timeout.
    ///   - retry: Stream resume and re-open attempts.
    ///   - logger: Labelled by the caller (e.g. `tern.mcp`).
    package init(
        serverName: String, url: String, headers: [String: String], networkGuard: NetworkGuard,
        requestTimeout: Duration = .seconds(60), retry: RetryPolicy = RetryPolicy(), logger: Logger
    ) {
        self.serverName = serverName
        self.url = url
        self.headers = headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        self.networkGuard = networkGuard
        self.requestTimeout = requestTimeout
        self.retry = retry
        var logger = logger
        logger[metadataKey: "mcp_server"] = "\(serverName)"
        self.logger = logger
        (messages, sink) = AsyncThrowingStream.makeStream(of: Data.self)
    }

    deinit {
        // Safety net for a transport dropped without `disconnect()`: an HTTPClient must be shut down.
        if let http {
            http.shutdown { _ in }
        }
    }

    /// Authorises the URL through the network guard and prepares the pinned HTTP client. No
    /// request is sent (``MCPSession``'s `initialize` is the first). Throws
    /// ``MCPClientError/refused(server:reason:)`` when the guard refuses the URL.
    package func connect() async throws {
        if let closedReason { throw closedReason }
        guard http == nil else { return }
        try validateHeaders()
        let target: AuthorizedTarget
        do {
            target = try await networkGuard.authorize(url)
        } catch {
            // The reason only: the URL may carry a key in its query.
            logger.warning("MCP server URL refused by the network guard", metadata: ["reason": "\(error.reason)"])
            throw MCPClientError.refused(
                server: serverName, reason: "\(error.reason)" + (error.allowListHint.map { "; \($0)" } ?? ""))
        }
        if let closedReason { throw closedReason }
        guard http == nil else { return }

        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        // No read timeout: the GET stream may stay quiet for long. Requests have deadlines instead.
        configuration.timeout = .init(connect: .seconds(10), read: nil)
        // Several SSE streams (the GET stream, slow tool calls) may be open at once.
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        if case .name(let name) = target.target.normalizedHost {
            configuration.dnsOverride = [name: target.address.description]
        }
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        endpoint = "\(target.target.scheme)://\(target.target.hostHeader)\(target.target.requestTarget)"
        logger.debug("MCP HTTP transport connected", metadata: ["address": "\(target.address)"])
    }

    /// POSTs one JSON-RPC message (or batch). Returns once the server accepted it (its status and
    /// headers arrived); responses and notifications then reach ``receive()`` as they come. Throws
    /// for an HTTP error status, a time-out before the headers, or a closed connection.
    package func send(_ data: Data) async throws {
        if let closedReason {
            // Not sent, so not run: say so when the session expired, so the pool may resend it.
            throw closedReason == sessionExpired ? MCPClientError.sessionExpired(server: serverName) : closedReason
        }
        guard http != nil else {
            throw MCPClientError.connectionClosed(server: serverName, reason: "not connected")
        }
        guard data.count <= Self.maxMessageBytes else {
            throw MCPClientError.protocolViolation(
                server: serverName, message: "a message to send is larger than \(Self.maxMessageBytes) bytes")
        }
        let outgoing = StreamableHTTPOutgoing(data)
        if outgoing.isInitialize { initializeIDs.formUnion(outgoing.requestIDs) }
        for id in outgoing.cancelledIDs {
            // The client gave up on it: stop reading its answer (a server may keep the stream
            // open), so abandoned calls do not pile up connections.
            outstanding.remove(id)
            requestTasks.removeValue(forKey: id)?.cancel()
        }
        signalIfNoRequestsInFlight()

        var request = makeRequest(.POST, accept: "application/json, text/event-stream")
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: data))
        let (accepted, acceptance) = AsyncThrowingStream.makeStream(of: Void.self)
        let post = request
        let task = spawn { transport in
            await transport.post(post, outgoing, acceptance: acceptance)
            await transport.requestFinished(outgoing.requestIDs)
        }
        for id in outgoing.requestIDs { requestTasks[id] = task }
        try await withTaskCancellationHandler {
            for try await _ in accepted {}
        } onCancel: {
            task.cancel()
        }
        try Task.checkCancellation()
        if outgoing.isInitializedNotification { startEventStream() }
    }

    /// The one stream of incoming messages; see ``ClosableTransport`` for how it ends.
    package func receive() -> AsyncThrowingStream<Data, any Error> {
        guard let closedReason else { return messages }
        return AsyncThrowingStream { $0.finish(throwing: closedReason) }
    }

    /// Waits until the connection has ended and returns why.
    package func waitUntilClosed() async -> MCPClientError {
        if let closedReason { return closedReason }
        return await withCheckedContinuation { closeWaiters.append($0) }
    }

    /// Ends the connection: cancels every request and stream, ends the session with `DELETE`
    /// (best effort, a short time-out) and shuts the HTTP client down. Idempotent; a second
    /// caller waits for the first to finish.
    package func disconnect() async {
        if let disconnecting {
            await disconnecting.value
            return
        }
        let task = Task { await self.release() }
        disconnecting = task
        await task.value
    }

    private func release() async {
        let session = sessionID
        close(.connectionClosed(server: serverName, reason: "disconnected"))
        guard let http else { return }
        if let session { await deleteSession(session, with: http) }
        do {
            try await http.shutdown()
        } catch {
            logger.warning("MCP HTTP client did not shut down cleanly", metadata: ["error": "\(error)"])
        }
        self.http = nil
    }

    /// Ends the connection once: waiting requests get a JSON-RPC error, the message stream
    /// finishes with `reason`, waiters are told, and every request and stream is cancelled.
    func close(_ reason: MCPClientError) {
        guard closedReason == nil else { return }
        closedReason = reason
        for id in outstanding.sorted(by: { $0.description < $1.description }) {
            sink.yield(StreamableHTTPMessages.errorResponse(id: id, message: reason.description))
        }
        outstanding.removeAll()
        sink.finish(throwing: reason)
        let waiters = closeWaiters
        closeWaiters.removeAll()
        for waiter in waiters { waiter.resume(returning: reason) }
        for task in tasks.values { task.cancel() }
        requestTasks.removeAll()
        signalIfNoRequestsInFlight()
        if case .connectionClosed(_, "disconnected") = reason {
            logger.debug("MCP HTTP connection closed")
        } else {
            logger.warning("MCP HTTP connection ended", metadata: ["reason": "\(reason)"])
        }
    }

    /// Runs `body` in a task that ``close(_:)`` cancels.
    @discardableResult
    func spawn(_ body: @escaping @Sendable (StreamableHTTPTransport) async -> Void) -> Task<Void, Never> {
        let number = nextTaskNumber
        nextTaskNumber += 1
        let task = Task {
            await body(self)
            self.taskFinished(number)
        }
        tasks[number] = task
        return task
    }

    private func taskFinished(_ number: Int) {
        tasks[number] = nil
    }

    func requestFinished(_ ids: Set<JSONRPCID>) {
        for id in ids { requestTasks[id] = nil }
        signalIfNoRequestsInFlight()
    }

    /// Requests whose answer is still being read (for tests and diagnostics).
    package var requestsInFlight: Int { requestTasks.count }

    /// Returns once no request's answer is being read (at once if none is), or when the caller
    /// is cancelled.
    package func waitUntilNoRequestsInFlight() async {
        guard !requestTasks.isEmpty else { return }
        let signal = OneShotSignal()
        noRequestsInFlight.append(signal)
        await signal.wait()
    }

    private func signalIfNoRequestsInFlight() {
        guard requestTasks.isEmpty, !noRequestsInFlight.isEmpty else { return }
        for signal in noRequestsInFlight { signal.fire() }
        noRequestsInFlight.removeAll()
    }

    /// A request to the endpoint with the configured headers, then the transport's own.
    func makeRequest(_ method: HTTPMethod, accept: String, lastEventID: String? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint)
        request.method = method
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.headers.replaceOrAdd(name: "Accept", value: accept)
        if let sessionID { request.headers.replaceOrAdd(name: "Mcp-Session-Id", value: sessionID) }
        if let protocolVersion { request.headers.replaceOrAdd(name: "MCP-Protocol-Version", value: protocolVersion) }
        if let lastEventID { request.headers.replaceOrAdd(name: "Last-Event-ID", value: lastEventID) }
        return request
    }

    /// Header names the transport sets itself.
    static let reservedHeaders: Set<String> = [
        "accept", "content-type", "content-length", "host", "mcp-session-id", "mcp-protocol-version",
        "last-event-id", "transfer-encoding", "connection",
    ]

    private func validateHeaders() throws {
        for header in headers {
            let name = header.name
            let validName = !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
            let validValue = !header.value.utf8.contains { $0 == 0x0A || $0 == 0x0D || $0 == 0x00 }
            guard validName, validValue else {
                throw MCPClientError.unavailable(
                    server: serverName,
                    reason: "the header \"\(validName ? name : "?")\" has an invalid \(validName ? "value" : "name")")
            }
            guard !Self.reservedHeaders.contains(name.lowercased()) else {
                throw MCPClientError.unavailable(
                    server: serverName, reason: "the header \"\(name)\" is set by the transport and cannot be configured")
            }
        }
    }
}
