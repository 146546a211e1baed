import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TernCore

/// Why one HTTP request got no usable response head.
enum StreamableHTTPRequestFailure: Error {
    /// The connection has ended (or the request was cancelled with it).
    case closed(MCPClientError)
    /// No status line and headers within the request time-out.
    case timedOut
    /// The server could not be reached, or the connection broke; the detail names the error.
    case unreachable(String)
}

extension StreamableHTTPTransport {
    /// Executes `request` until its response head arrives (within ``requestTimeout``).
    func perform(_ request: HTTPClientRequest) async throws(StreamableHTTPRequestFailure) -> HTTPClientResponse {
        guard closedReason == nil, let http else { throw .closed(closedOrNotConnected) }
        do {
            let response = try await http.execute(request, deadline: .now() + TimeAmount(requestTimeout))
            if let closedReason { throw closedReason }
            return response
        } catch {
            throw classify(error)
        }
    }

    /// Maps an error from AsyncHTTPClient (or a body read) to a request failure.
    func classify(_ error: any Error) -> StreamableHTTPRequestFailure {
        if let closedReason { return .closed(closedReason) }
        if let error = error as? MCPClientError { return .closed(error) }
        if error is CancellationError || (error as? HTTPClientError) == .cancelled {
            return .closed(.connectionClosed(server: serverName, reason: "cancelled"))
        }
        if (error as? HTTPClientError) == .deadlineExceeded { return .timedOut }
        return .unreachable("\(error)")
    }

    var closedOrNotConnected: MCPClientError {
        closedReason ?? .connectionClosed(server: serverName, reason: "not connected")
    }

    /// The POST of one message: opens `acceptance` (finishing it, or failing it with the error
    /// `send` throws) once the head is checked, then reads the body.
    func post(
        _ request: HTTPClientRequest, _ outgoing: StreamableHTTPOutgoing,
        acceptance: AsyncThrowingStream<Void, any Error>.Continuation
    ) async {
        let response: HTTPClientResponse
        do {
            response = try await perform(request)
            try await checkHead(response, for: outgoing)
        } catch let failure as StreamableHTTPRequestFailure {
            acceptance.finish(throwing: error(for: failure, operation: outgoing.operation))
            return
        } catch {
            acceptance.finish(throwing: error)
            return
        }
        outstanding.formUnion(outgoing.requestIDs)
        acceptance.finish()
        await readBody(of: response, for: outgoing)
    }

    /// The error `send` throws for a failed POST; an unreachable server ends the connection.
    private func error(for failure: StreamableHTTPRequestFailure, operation: String) -> MCPClientError {
        switch failure {
        case .closed(let reason):
            return reason
        case .timedOut:
            return .timedOut(server: serverName, operation: operation, after: requestTimeout)
        case .unreachable(let detail):
            let reason = MCPClientError.connectionClosed(server: serverName, reason: "the server could not be reached: \(detail)")
            close(reason)
            return reason
        }
    }

    /// Checks the status of a POST's response and takes the session id from the initialize answer.
    private func checkHead(_ response: HTTPClientResponse, for outgoing: StreamableHTTPOutgoing) async throws {
        let status = Int(response.status.code)
        if (200..<300).contains(status) {
            if outgoing.isInitialize, sessionID == nil, let session = response.headers.first(name: "Mcp-Session-Id") {
                guard !session.isEmpty, session.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                    throw MCPClientError.protocolViolation(
                        server: serverName, message: "the session id is not visible ASCII")
                }
                sessionID = session
            }
            return
        }
        if status == 404, sessionID != nil {
            // This request was refused (it never ran): it alone fails with `sessionExpired`, so
            // the pool may send it again on a new session. Requests in flight learn only that
            // the connection ended — they may have run.
            sessionID = nil
            close(sessionExpired)
            throw MCPClientError.sessionExpired(server: serverName)
        }
        if (300..<400).contains(status) {
            throw MCPClientError.httpStatus(server: serverName, status: status, message: "redirects are not followed")
        }
        let detail = await StreamableHTTPMessages.errorDetail(from: response.body)
        logger.warning(
            "MCP server answered with an HTTP error",
            metadata: ["status": "\(status)", "operation": "\(outgoing.operation)"])
        throw MCPClientError.httpStatus(server: serverName, status: status, message: detail)
    }

    /// Why the connection ended when the server no longer knows the session.
    var sessionExpired: MCPClientError {
        .sessionExpiryClose(server: serverName)
    }

    /// Reads an accepted POST's body: nothing (`202`), one JSON body, or an SSE stream.
    private func readBody(of response: HTTPClientResponse, for outgoing: StreamableHTTPOutgoing) async {
        var awaiting = outgoing.requestIDs
        let contentType = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
        if response.status == .accepted || outgoing.requestIDs.isEmpty && !contentType.hasPrefix("text/event-stream") {
            if !awaiting.isEmpty {
                fail(awaiting, .protocolViolation(server: serverName, message: "the server accepted a request without answering it"))
            }
            return
        }
        if contentType.hasPrefix("application/json") {
            do {
                let body = try await readJSONBody(response.body)
                if !body.isEmpty { awaiting.subtract(try deliver(body)) }
            } catch {
                failBody(error, awaiting: awaiting)
                return
            }
            if !awaiting.isEmpty {
                fail(awaiting, .protocolViolation(server: serverName, message: "the server's JSON answer lacks the response"))
            }
        } else if contentType.hasPrefix("text/event-stream") {
            var cursor = StreamableHTTPCursor()
            var broke: (any Error)?
            do {
                try await readEvents(response.body, awaiting: &awaiting, cursor: &cursor)
            } catch {
                if case .closed = classify(error) { return }
                if error is MCPClientError {
                    failBody(error, awaiting: awaiting)
                    return
                }
                broke = error
            }
            await finishUnanswered(awaiting, cursor: cursor, broke: broke)
        } else {
            let shown = StreamableHTTPMessages.printable(String(contentType.prefix(100)))
            fail(awaiting, .protocolViolation(server: serverName, message: "unexpected content type \"\(shown)\""))
        }
    }

    /// A body read failed: a protocol violation or a broken connection ends the connection.
    private func failBody(_ error: any Error, awaiting: Set<JSONRPCID>) {
        // The client cancelled this request: its answer is no longer wanted, the session goes on.
        if Task.isCancelled, closedReason == nil { return }
        switch classify(error) {
        case .closed(let reason) where reason == closedReason:
            return
        case .closed(let reason):
            close(reason)
        case .timedOut:
            fail(awaiting, .timedOut(server: serverName, operation: "reading the response", after: requestTimeout))
        case .unreachable(let detail):
            close(.connectionClosed(server: serverName, reason: "the response broke off: \(detail)"))
        }
    }

    /// Reads a whole JSON body, at most ``maxMessageBytes`` and within ``requestTimeout``.
    private func readJSONBody(_ body: HTTPClientResponse.Body) async throws -> Data {
        let limit = Self.maxMessageBytes
        let violation = MCPClientError.protocolViolation(
            server: serverName, message: "a message is larger than \(limit) bytes")
        return try await StreamableHTTPMessages.withDeadline(requestTimeout) {
            var data = Data()
            for try await chunk in body {
                guard data.count + chunk.readableBytes <= limit else { throw violation }
                data.append(contentsOf: chunk.readableBytesView)
            }
            return data
        }
    }

    /// Reads SSE events, delivering each message as it arrives, until the body ends or every id
    /// in `awaiting` is answered (then the stream is dropped). Throws ``MCPClientError`` for a
    /// protocol violation, the transport's error when the stream breaks.
    func readEvents(
        _ body: HTTPClientResponse.Body, awaiting: inout Set<JSONRPCID>, cursor: inout StreamableHTTPCursor
    ) async throws {
        let waitsForAnswers = !awaiting.isEmpty
        var parser = SSEParser()
        var pendingBytes = 0
        let limit = Self.maxMessageBytes
        for try await chunk in body {
            pendingBytes += chunk.readableBytes
            let events = parser.feed(chunk.readableBytesView)
            if !events.isEmpty { pendingBytes = 0 }
            // An event still being received may not grow past the limit (plus its framing).
            guard pendingBytes <= limit + 64 * 1024 else {
                throw MCPClientError.protocolViolation(server: serverName, message: "an event is larger than \(limit) bytes")
            }
            try handle(events, awaiting: &awaiting, cursor: &cursor)
            if waitsForAnswers, awaiting.isEmpty { return }
        }
        try handle(parser.finish(), awaiting: &awaiting, cursor: &cursor)
    }

    private func handle(_ events: [SSEEvent], awaiting: inout Set<JSONRPCID>, cursor: inout StreamableHTTPCursor) throws {
        for event in events {
            if let id = event.id { cursor.lastEventID = id }
            if let retry = event.retry { cursor.retry = .milliseconds(retry) }
            cursor.events += 1
            // Other event types are not JSON-RPC; an empty data line is a priming event.
            guard event.event == nil || event.event == "message" else { continue }
            guard event.data.contains(where: { !$0.isWhitespace }) else { continue }
            guard event.data.utf8.count <= Self.maxMessageBytes else {
                throw MCPClientError.protocolViolation(
                    server: serverName, message: "a message is larger than \(Self.maxMessageBytes) bytes")
            }
            awaiting.subtract(try deliver(Data(event.data.utf8)))
            cursor.messages += 1
        }
    }

    /// Hands a message (or each message of a batch) to the client; returns the request ids it answered.
    func deliver(_ data: Data) throws -> Set<JSONRPCID> {
        guard closedReason == nil else { return [] }
        let parts = try StreamableHTTPMessages.split(data, server: serverName)
        var answered: Set<JSONRPCID> = []
        for part in parts {
            let peek = try? JSONDecoder().decode(StreamableHTTPPeek.self, from: part)
            if let peek, peek.isResponse, let id = peek.id {
                answered.insert(id)
                outstanding.remove(id)
                if initializeIDs.remove(id) != nil, let version = peek.protocolVersion {
                    protocolVersion = version
                }
            }
            sink.yield(part)
        }
        return answered
    }

    /// Fails requests the server will not answer with a JSON-RPC error (the session goes on).
    func fail(_ ids: Set<JSONRPCID>, _ error: MCPClientError) {
        guard closedReason == nil else { return }
        for id in ids.sorted(by: { $0.description < $1.description }) where outstanding.remove(id) != nil {
            sink.yield(StreamableHTTPMessages.errorResponse(id: id, message: error.description))
        }
        logger.warning("MCP request failed", metadata: ["error": "\(error)", "requests": "\(ids.count)"])
    }
}

/// Where an SSE stream got to: what a resume (`Last-Event-ID`) and its delay need.
struct StreamableHTTPCursor {
    var lastEventID: String?
    var retry: Duration?
    /// Events seen (messages and priming events).
    var events = 0
    /// Messages delivered.
    var messages = 0
}
