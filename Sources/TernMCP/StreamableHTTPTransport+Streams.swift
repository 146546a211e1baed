import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TernCore

/// The `GET` streams: the standalone one for server-initiated messages, resuming a response
/// stream with `Last-Event-ID`, and the `DELETE` that ends a session.
extension StreamableHTTPTransport {
    /// A response stream ended before answering `awaiting`: resume it when the server numbered
    /// its events; otherwise fail those requests (clean end) or end the connection (it broke).
    func finishUnanswered(_ awaiting: Set<JSONRPCID>, cursor: StreamableHTTPCursor, broke: (any Error)?) async {
        guard !awaiting.isEmpty, closedReason == nil else { return }
        guard cursor.lastEventID != nil else {
            if let broke {
                close(.connectionClosed(server: serverName, reason: "the response stream broke off: \(broke)"))
            } else {
                fail(awaiting, .protocolViolation(server: serverName, message: "the server ended the response stream without answering"))
            }
            return
        }
        await resume(awaiting, from: cursor)
    }

    /// Re-opens a response stream with `GET` + `Last-Event-ID` until the answers arrive, at most
    /// ``RetryPolicy/maxAttempts`` times in a row without a new message.
    private func resume(_ unanswered: Set<JSONRPCID>, from start: StreamableHTTPCursor) async {
        var awaiting = unanswered
        var cursor = start
        var attempt = 0
        var problem = MCPClientError.protocolViolation(server: serverName, message: "the response stream could not be resumed")
        var unreachable = false
        while attempt < retry.maxAttempts {
            attempt += 1
            guard await pause(before: attempt, cursor: cursor) else { return }
            logger.debug("resuming an MCP response stream", metadata: ["attempt": "\(attempt)"])
            let response: HTTPClientResponse
            do {
                response = try await perform(makeRequest(.GET, accept: "text/event-stream", lastEventID: cursor.lastEventID))
            } catch {
                switch error {
                case .closed: return
                case .timedOut:
                    unreachable = false
                    problem = .timedOut(server: serverName, operation: "resuming the response stream", after: requestTimeout)
                case .unreachable(let detail):
                    unreachable = true
                    problem = .connectionClosed(server: serverName, reason: "the server could not be reached: \(detail)")
                }
                continue
            }
            unreachable = false
            let status = Int(response.status.code)
            guard status == 200, Self.isEventStream(response) else {
                if status == 404, sessionID != nil {
                    sessionID = nil
                    close(sessionExpired)
                } else {
                    let detail = await StreamableHTTPMessages.errorDetail(from: response.body)
                    let message = "resuming the response stream failed" + (detail.isEmpty ? "" : ": \(detail)")
                    fail(awaiting, .httpStatus(server: serverName, status: status, message: message))
                }
                return
            }
            let delivered = cursor.messages
            do {
                try await readEvents(response.body, awaiting: &awaiting, cursor: &cursor)
            } catch let violation as MCPClientError {
                close(violation)
                return
            } catch {
                if case .closed = classify(error) { return }
                unreachable = true
                problem = .connectionClosed(server: serverName, reason: "the response stream broke off: \(error)")
            }
            if awaiting.isEmpty { return }
            if cursor.messages > delivered { attempt = 0 }
        }
        if unreachable { close(problem) } else { fail(awaiting, problem) }
    }

    /// Opens the standalone `GET` stream once, after `notifications/initialized` was accepted,
    /// when the server gave a session id (without one it cannot tell the stream is ours).
    func startEventStream() {
        guard !eventStreamStarted, sessionID != nil, closedReason == nil else { return }
        eventStreamStarted = true
        spawn { await $0.runEventStream() }
    }

    /// Keeps the `GET` stream open: `405` means the server offers none; a drop re-opens it with
    /// `Last-Event-ID`, at most ``RetryPolicy/maxAttempts`` times in a row without an event; a
    /// server that cannot be reached any more ends the connection.
    private func runEventStream() async {
        var cursor = StreamableHTTPCursor()
        var failures = 0
        while closedReason == nil {
            var unreachable: String?
            do {
                let response = try await perform(
                    makeRequest(.GET, accept: "text/event-stream", lastEventID: cursor.lastEventID))
                let status = Int(response.status.code)
                if status == 200, Self.isEventStream(response) {
                    let seen = cursor.events
                    var none: Set<JSONRPCID> = []
                    do {
                        try await readEvents(response.body, awaiting: &none, cursor: &cursor)
                    } catch let violation as MCPClientError {
                        close(violation)
                        return
                    } catch {
                        if case .closed = classify(error) { return }
                        unreachable = "\(error)"
                    }
                    if cursor.events > seen { failures = 0 }
                    logger.debug("MCP event stream ended")
                } else if status == 405 {
                    logger.debug("MCP server offers no GET event stream")
                    return
                } else if status == 404, sessionID != nil {
                    sessionID = nil
                    close(sessionExpired)
                    return
                } else if !(status == 409 || status == 429 || status >= 500) {
                    logger.warning("MCP server refused the GET event stream", metadata: ["status": "\(status)"])
                    return
                }
            } catch {
                switch error {
                case .closed: return
                case .timedOut: break
                case .unreachable(let detail): unreachable = detail
                }
            }
            failures += 1
            guard failures <= retry.maxAttempts else {
                if let unreachable {
                    close(.connectionClosed(server: serverName, reason: "the server could not be reached: \(unreachable)"))
                } else {
                    logger.warning("MCP GET event stream given up", metadata: ["attempts": "\(failures)"])
                }
                return
            }
            guard await pause(before: failures, cursor: cursor) else { return }
        }
    }

    /// Waits before retry `attempt` (1-based): the server's `retry:` or an exponential backoff,
    /// capped. Returns `false` when the connection ended meanwhile.
    private func pause(before attempt: Int, cursor: StreamableHTTPCursor) async -> Bool {
        let delay = retry.backoff.delay(forAttempt: attempt - 1, retryAfter: cursor.retry)
        do {
            try await Task.sleep(for: delay)
        } catch {
            return false  // cancelled: the connection is closing
        }
        return closedReason == nil
    }

    /// Ends the session on the server (best effort: failures are logged at debug level).
    func deleteSession(_ session: String, with http: HTTPClient) async {
        var request = makeRequest(.DELETE, accept: "application/json, text/event-stream")
        request.headers.replaceOrAdd(name: "Mcp-Session-Id", value: session)
        do {
            let response = try await http.execute(request, deadline: .now() + TimeAmount(min(requestTimeout, .seconds(5))))
            logger.debug("MCP session ended", metadata: ["status": "\(response.status.code)"])
        } catch {
            logger.debug("MCP session DELETE failed", metadata: ["error": "\(error)"])
        }
    }

    static func isEventStream(_ response: HTTPClientResponse) -> Bool {
        response.headers.first(name: "Content-Type")?.lowercased().hasPrefix("text/event-stream") == true
    }
}
