import Foundation
import Logging
import Synchronization
import TernCore

/// JSON-RPC 2.0 over one ``ClosableTransport``, as an MCP client speaks it: numbered requests
/// matched to their answers, notifications handed to a callback, and the server's own requests
/// answered (`ping` with an empty result; anything else, which Tern did not offer in its
/// capabilities, with "method not found").
///
/// When the transport's stream ends, every request still waiting fails at once with the reason.
actor MCPRPCConnection {
    private let transport: any ClosableTransport
    private let server: String
    private let logger: Logger
    private let onNotification: @Sendable (String, JSONValue?) -> Void
    private var nextID = 0
    private var pending: [JSONRPCID: MCPPendingAnswer] = [:]
    /// Requests whose send has not finished yet (their outcome waits for it when the
    /// connection ends), each with the reason it was given up meanwhile, to tell the server
    /// once it is out.
    private var unsent: [JSONRPCID: String?] = [:]
    private var ended: (any Error)?
    private var reader: Task<Void, Never>?

    init(
        transport: any ClosableTransport, server: String, logger: Logger,
        onNotification: @escaping @Sendable (String, JSONValue?) -> Void
    ) {
        self.transport = transport
        self.server = server
        self.logger = logger
        self.onNotification = onNotification
    }

    /// Starts reading the transport's messages (call once, after `connect()`).
    func startReading() async {
        guard reader == nil else { return }
        let messages = await transport.receive()
        reader = Task { [weak self] in
            do {
                for try await data in messages {
                    guard let self else { return }
                    await self.handle(data)
                }
                await self?.end(MCPClientError.connectionClosed(server: self?.server ?? "", reason: "stream ended"))
            } catch {
                await self?.end(error)
            }
        }
    }

    /// Stops reading; requests still waiting fail with `reason`.
    func stop(_ reason: any Error) {
        reader?.cancel()
        end(reason)
    }

    /// Sends a request and returns its answer's handle at once. The send runs on a task of its
    /// own, so the caller's timeout covers it too: a stdio server that stopped reading blocks
    /// the write, and over HTTP a send waits until the server accepts the POST, which a server
    /// answering with one JSON body does only with the answer. A send that fails (a refused
    /// session, a closed connection) fails the answer with its error.
    func start(_ method: String, params: JSONValue?) throws -> MCPPendingAnswer {
        if let ended { throw ended }
        nextID += 1
        let answer = MCPPendingAnswer(id: .number(nextID))
        pending[answer.id] = answer
        unsent[answer.id] = .some(nil)
        let message = MCPWire.message(id: answer.id, method: method, params: params)
        let transport = self.transport
        Task { [weak self] in
            do {
                try await transport.send(message)
                await self?.sendFinished(answer, nil)
            } catch {
                await self?.sendFinished(answer, error)
            }
        }
        return answer
    }

    /// A send's end. Its error is the request's outcome, even when the connection ended
    /// meanwhile: a session the server refused (`sessionExpired`) ends the connection too, and
    /// only that error tells the pool the request never ran and may be sent again.
    private func sendFinished(_ answer: MCPPendingAnswer, _ error: (any Error)?) async {
        let cancelledWith = unsent.removeValue(forKey: answer.id) ?? nil
        if let failure = error ?? ended, pending.removeValue(forKey: answer.id) != nil {
            answer.resolve(.failure(failure))
        }
        // Given up while it was being sent: the server has it now, so tell it.
        if let reason = cancelledWith, error == nil {
            await sendCancellation(answer.id, reason: reason)
        }
    }

    /// Sends a notification and returns once the transport took it (the handshake's
    /// `notifications/initialized` must be sent before any request).
    func notify(_ method: String, params: JSONValue? = nil) async throws {
        if let ended { throw ended }
        try await transport.send(MCPWire.message(id: nil, method: method, params: params))
    }

    /// Gives up on a request: it fails with `CancellationError` at once, and the server is told
    /// (`notifications/cancelled`, best effort) to stop working on it.
    func cancel(_ answer: MCPPendingAnswer, reason: String) async {
        guard pending.removeValue(forKey: answer.id) != nil else { return }
        answer.resolve(.failure(CancellationError()))
        if unsent[answer.id] != nil {
            // The request is not out yet: a cancellation now would overtake it (and be ignored).
            unsent[answer.id] = .some(reason)
            return
        }
        await sendCancellation(answer.id, reason: reason)
    }

    private func sendCancellation(_ id: JSONRPCID, reason: String) async {
        guard ended == nil else { return }
        do {
            try await notify("notifications/cancelled", params: ["requestId": id.json, "reason": .string(reason)])
        } catch {
            logger.warning("could not tell the MCP server a request was given up", metadata: ["error": "\(error)"])
        }
    }

    private func handle(_ data: Data) {
        let message: JSONValue
        do {
            message = try JSONValue(parsing: data)
        } catch {
            logger.warning("MCP server sent a message that is not JSON; ignored", metadata: ["error": "\(error)"])
            return
        }
        if case .array(let batch) = message {
            for element in batch { handle(element) }
        } else {
            handle(message)
        }
    }

    private func handle(_ message: JSONValue) {
        guard case .object(let members) = message else {
            logger.warning("MCP server sent a JSON-RPC message that is not an object; ignored")
            return
        }
        let id = JSONRPCID(members["id"])
        if let method = members["method"]?.stringValue {
            if let id {
                answerServerRequest(id: id, method: method)
            } else {
                onNotification(method, members["params"])
            }
            return
        }
        guard let id, let answer = pending.removeValue(forKey: id) else {
            logger.debug("MCP answer to no request waiting for one; ignored", metadata: ["id": "\(members["id"] ?? .null)"])
            return
        }
        if let error = members["error"] {
            var text = error["message"]?.stringValue ?? "(no message)"
            // The HTTP transport's own error answers already name the server.
            let named = "MCP server \"\(server)\": "
            if text.hasPrefix(named) { text.removeFirst(named.count) }
            let code = error["code"].map { $0.jsonText } ?? "none"
            answer.resolve(.failure(MCPClientError.remote(server: server, message: "\(text) (code \(code))")))
        } else if let result = members["result"] {
            answer.resolve(.success(result))
        } else {
            answer.resolve(
                .failure(MCPClientError.protocolViolation(server: server, message: "an answer has neither result nor error")))
        }
    }

    /// Answers on a task of its own: over HTTP a send waits for the server to accept the POST,
    /// and the messages after this one must not wait for that.
    private func answerServerRequest(id: JSONRPCID, method: String) {
        let response =
            method == "ping"
            ? MCPWire.response(id: id, result: [:])
            : MCPWire.response(id: id, error: (-32601, "Method not found: Tern does not offer \(method)"))
        let transport = self.transport
        let logger = self.logger
        Task {
            do {
                try await transport.send(response)
            } catch {
                logger.debug("could not answer the server's request", metadata: ["method": "\(method)", "error": "\(error)"])
            }
        }
    }

    /// Fails every waiting request whose send has finished; one still being sent gets the
    /// send's own outcome (``sendFinished(_:_:)``).
    private func end(_ reason: any Error) {
        if ended == nil { ended = reason }
        let failure = ended ?? reason
        for (id, answer) in pending where unsent[id] == nil {
            pending[id] = nil
            answer.resolve(.failure(failure))
        }
    }
}

/// The answer to one request, once it comes: resolved once (by the answer, the connection's end
/// or a cancellation); ``value`` waits for it, and fails with `CancellationError` as soon as the
/// waiting task is cancelled.
final class MCPPendingAnswer: Sendable {
    let id: JSONRPCID
    private struct State {
        var outcome: Result<JSONValue, any Error>?
        var waiters: [CheckedContinuation<JSONValue, any Error>] = []
    }
    private let state = Mutex(State())

    init(id: JSONRPCID) { self.id = id }

    /// Sets the outcome (the first one wins) and releases the waiters.
    func resolve(_ outcome: Result<JSONValue, any Error>) {
        let waiters = state.withLock { state -> [CheckedContinuation<JSONValue, any Error>] in
            guard state.outcome == nil else { return [] }
            state.outcome = outcome
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }

    var value: JSONValue {
        get async throws {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let outcome = state.withLock { state -> Result<JSONValue, any Error>? in
                        if let outcome = state.outcome { return outcome }
                        state.waiters.append(continuation)
                        return nil
                    }
                    if let outcome { continuation.resume(with: outcome) }
                }
            } onCancel: {
                resolve(.failure(CancellationError()))
            }
        }
    }
}
