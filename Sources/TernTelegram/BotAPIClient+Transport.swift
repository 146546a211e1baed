import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TernCore

extension BotAPIClient {
    /// Calls `method` with `body` and decodes its `result`, retrying per ``retry``. Throws a
    /// ``BotAPIError``, or `CancellationError` when the caller is cancelled.
    func call<Result: Decodable & Sendable>(
        _ method: String, _ body: some Encodable & Sendable, timeout: Duration? = nil
    ) async throws -> Result {
        let data: Data
        do {
            data = try JSONEncoder().encode(body)
        } catch {
            throw BotAPIError.invalidResponse(method: method, reason: "could not encode the request: \(error)")
        }
        let limit = timeout ?? requestTimeout
        logger.debug("Telegram call", metadata: ["method": "\(method)", "url": "\(redactedURL(method: method))"])
        return try await retry.run(method: method, logger: logger) { _ in
            try await attempt(method, body: data, limit: limit)
        }
    }

    /// One attempt: sends the request and reads the answer within `limit`, sorting every failure
    /// into a ``BotAPIAttemptFailure`` (or `CancellationError`).
    func attempt<Result: Decodable & Sendable>(_ method: String, body: Data, limit: Duration) async throws -> Result {
        let answer: (status: Int, body: Data)
        do {
            answer = try await withBotAPITimeout(limit) { [self] in
                try await exchange(method, body: body, limit: limit)
            }
        } catch {
            if Task.isCancelled || error is CancellationError { throw CancellationError() }
            throw classify(error, method: method, limit: limit)
        }
        return try decodeAnswer(answer.body, status: answer.status, method: method)
    }

    /// Sends the request and collects the whole answer.
    private func exchange(_ method: String, body: Data, limit: Duration) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: "\(baseURL)/bot\(token)/\(method)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "tern")
        request.body = .bytes(ByteBuffer(bytes: body))
        // withBotAPITimeout enforces the real limit; this deadline is only a backstop behind it.
        let backstop = TimeAmount.seconds(limit.components.seconds + 2)
        // No logger is passed on: AsyncHTTPClient's debug logs would carry the URL, token included.
        let response = try await httpClient.execute(request, timeout: backstop)
        var collected = Data()
        for try await buffer in response.body {
            guard collected.count + buffer.readableBytes <= maxResponseBytes else {
                throw BotAPIAttemptFailure.final(
                    .invalidResponse(method: method, reason: "the answer is larger than \(maxResponseBytes) bytes"))
            }
            collected.append(contentsOf: buffer.readableBytesView)
        }
        return (Int(response.status.code), collected)
    }

    /// Reads the Bot API envelope: the `result` on `ok: true`, else the typed failure.
    func decodeAnswer<Result: Decodable>(_ data: Data, status: Int, method: String) throws -> Result {
        // Not the Bot API's JSON (a proxy's HTML page, say): judged by the HTTP status alone.
        guard let envelope = try? JSONDecoder().decode(BotAPIEnvelope.self, from: data) else {
            if (200..<300).contains(status) {
                throw BotAPIAttemptFailure.final(.invalidResponse(method: method, reason: "the answer is not Bot API JSON"))
            }
            let text = String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw failure(code: status, description: text.isEmpty ? "HTTP \(status)" : text, retryAfter: nil, method: method)
        }
        guard envelope.ok else {
            throw failure(
                code: envelope.errorCode ?? status, description: envelope.description ?? "HTTP \(status)",
                retryAfter: envelope.parameters?.retryAfter, method: method)
        }
        do {
            return try JSONDecoder().decode(BotAPIResult<Result>.self, from: data).result
        } catch {
            throw BotAPIAttemptFailure.final(.invalidResponse(method: method, reason: Self.describe(decodingError: error)))
        }
    }

    /// The failure for an `ok: false` answer (or a non-JSON error status).
    func failure(code: Int, description: String, retryAfter: Int?, method: String) -> BotAPIAttemptFailure {
        switch code {
        case 429:
            return .retryable(.rateLimited(retryAfter: retryAfter ?? 0, method: method), retryAfter: retryAfter)
        case 401, 404:
            return .final(.unauthorized(method: method))
        case 500..<600:
            return .retryable(.api(method: method, code: code, description: redact(description)))
        default:
            return .final(.api(method: method, code: code, description: redact(description)))
        }
    }

    /// Sorts a transport-level error: classified failures pass through; timeouts and connection
    /// errors become a retryable ``BotAPIError/transport(method:reason:)``.
    func classify(_ error: any Error, method: String, limit: Duration) -> BotAPIAttemptFailure {
        if let failure = error as? BotAPIAttemptFailure { return failure }
        if error is BotAPITimeout {
            return .retryable(.transport(method: method, reason: "no answer within \(Self.format(limit))"))
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .invalidURL, .emptyHost, .emptyScheme:
                return .final(.transport(method: method, reason: "the Bot API URL is not valid: \(describe(error))"))
            default:
                break
            }
        }
        return .retryable(.transport(method: method, reason: describe(error)))
    }

    /// `40 s` or `250 ms`.
    static func format(_ duration: Duration) -> String {
        let milliseconds = duration.botAPIMilliseconds
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }

    /// A short description of a transport error, without the token.
    func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return redact(text.count > 300 ? String(text.prefix(300)) + "…" : text)
    }

    /// `text` with the token (also percent-encoded) replaced by `<token>`.
    func redact(_ text: String) -> String {
        guard !token.isEmpty else { return text }
        var redacted = text.replacingOccurrences(of: token, with: "<token>")
        if let encoded = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != token {
            redacted = redacted.replacingOccurrences(of: encoded, with: "<token>")
        }
        return redacted
    }

    /// The URL of `method` as logs and errors may show it: `<baseURL>/bot<token>/<method>`.
    func redactedURL(method: String) -> String {
        redact(baseURL) + "/bot<token>/" + method
    }

    /// A short, body-free description of a decoding failure.
    static func describe(decodingError error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            // The path starts at the envelope, so it reads `result.message_id`.
            let steps = keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            return keys.isEmpty ? "the answer" : String(steps.joined().dropFirst())
        }
        return switch error {
        case DecodingError.keyNotFound(let key, let context): "missing \(path(context.codingPath + [key]))"
        case DecodingError.typeMismatch(let type, let context): "\(path(context.codingPath)) is not \(type)"
        case DecodingError.valueNotFound(let type, let context): "\(path(context.codingPath)) is null, expected \(type)"
        case DecodingError.dataCorrupted(let context): "\(path(context.codingPath)) is malformed"
        default: "undecodable JSON"
        }
    }
}

/// Thrown by ``withBotAPITimeout(_:_:)`` when the limit ran out first.
struct BotAPITimeout: Error {}

/// Runs `operation`, cancelling it and throwing ``BotAPITimeout`` once `limit` has passed.
/// Cancelling the caller cancels the operation as usual.
func withBotAPITimeout<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T)
    async throws -> T
{
    try await withTimeLimit(limit, orThrow: { BotAPITimeout() }, operation)
}
