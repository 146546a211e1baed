import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TernCore

/// One endpoint of the API, named the way errors and logs show it.
struct Call: Sendable {
    /// The HTTP method.
    var method: HTTPMethod
    /// The path below the base URL, e.g. `/chat/completions`.
    var path: String
    /// Method and full path, e.g. `POST /v1/chat/completions`.
    var endpoint: String

    /// Names the endpoint `path` below `basePath`.
    init(method: HTTPMethod, path: String, basePath: String) {
        self.method = method
        self.path = path
        endpoint = "\(method.rawValue) \(basePath)\(path)"
    }
}

extension OpenAIClientConfiguration {
    /// An `HTTPClient` configuration whose connect timeout matches ``connectTimeout``, for
    /// building the shared client. Read timeouts are enforced per call by ``OpenAIClient``.
    package var httpClientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(Int64(connectTimeout.seconds * 1e9)), read: nil)
        return configuration
    }
}

extension OpenAIClient {
    /// Limits for a non-streamed call, or for a stream (no total limit).
    func limits(streaming: Bool) -> CallLimits {
        CallLimits(
            head: configuration.connectTimeout + configuration.readTimeout, idle: configuration.readTimeout,
            total: streaming ? nil : configuration.requestTimeout)
    }

    /// Sends a non-streamed request with retries and timeouts and returns the 2xx body.
    func send(_ call: Call, body: Data?) async throws -> Data {
        let limits = limits(streaming: false)
        let maxBytes = configuration.maxResponseBytes
        return try await withRetries(endpoint: call.endpoint) { _ in
            try await withWatchdog(limits, endpoint: call.endpoint) { watchdog in
                let response = try await execute(call, body: body, accept: "application/json", limits: limits)
                watchdog.touch()
                try await checkStatus(response, for: call, watchdog: watchdog)
                return try await readBody(response, upTo: maxBytes, for: call, watchdog: watchdog)
            }
        }
    }

    /// Starts the HTTP request; returns once the response head arrived.
    func execute(_ call: Call, body: Data?, accept: String, limits: CallLimits) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL + call.path)
        request.method = call.method
        request.headers.add(name: "Accept", value: accept)
        request.headers.add(name: "User-Agent", value: "tern")
        if let apiKey = configuration.apiKey, !apiKey.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        // The watchdog enforces the real limits; this deadline is only a backstop behind it.
        let backstop = limits.head + (limits.total ?? .zero) + .seconds(1)
        return try await httpClient.execute(request, timeout: .nanoseconds(Int64(backstop.seconds * 1e9)))
    }

    /// Throws an ``AttemptFailure`` for a non-2xx status, with the upstream's error message.
    func checkStatus(_ response: HTTPClientResponse, for call: Call, watchdog: Watchdog) async throws {
        let status = Int(response.status.code)
        guard !(200..<300).contains(status) else { return }
        let data = try await readBody(response, upTo: 64 * 1024, for: call, watchdog: watchdog)
        let message = upstreamMessage(in: data) ?? response.status.reasonPhrase
        let retryable = status == 429 || (500..<600).contains(status)
        throw AttemptFailure(
            error: ModelError.upstream(endpoint: call.endpoint, status: status, message: message),
            isRetryable: retryable,
            retryAfter: retryable ? RetryPolicy.parseRetryAfter(response.headers.first(name: "Retry-After")) : nil)
    }

    /// The `error.message` of an OpenAI-shaped error body, else the start of the body text.
    func upstreamMessage(in data: Data) -> String? {
        if let envelope = try? JSONDecoder().decode(WireErrorEnvelope.self, from: data),  // not JSON: use the text
            let message = envelope.bestMessage, !message.isEmpty
        {
            return redact(message)
        }
        let text = String(decoding: data.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : redact(text)
    }

    /// Collects the response body, refusing more than `maxBytes`.
    func readBody(_ response: HTTPClientResponse, upTo maxBytes: Int, for call: Call, watchdog: Watchdog)
        async throws -> Data
    {
        var data = Data()
        for try await buffer in response.body {
            watchdog.touch()
            guard data.count + buffer.readableBytes <= maxBytes else {
                throw AttemptFailure.final(
                    ModelError.invalidResponse(
                        endpoint: call.endpoint, reason: "the response is larger than \(maxBytes) bytes"))
            }
            data.append(contentsOf: buffer.readableBytesView)
        }
        return data
    }

    /// Sorts any error of an attempt into a typed ``ModelError`` and whether to retry it.
    func classify(_ error: any Error, endpoint: String) -> AttemptFailure {
        if let failure = error as? AttemptFailure { return failure }
        if Task.isCancelled || error is CancellationError { return .final(CancellationError()) }
        if let error = error as? ModelError { return .final(error) }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout:
                return .final(ModelError.timeout(endpoint: endpoint, seconds: configuration.connectTimeout.seconds))
            case .readTimeout:
                return .final(ModelError.timeout(endpoint: endpoint, seconds: configuration.readTimeout.seconds))
            case .deadlineExceeded:
                return .final(ModelError.timeout(endpoint: endpoint, seconds: configuration.requestTimeout.seconds))
            case .invalidURL, .emptyHost, .emptyScheme:
                return .final(
                    ModelError.notConfigured(hint: "the model server URL is not a valid http(s) URL (\(error))"))
            default:
                break
            }
        }
        return AttemptFailure(
            error: ModelError.connection(endpoint: endpoint, reason: describe(error)), isRetryable: true,
            retryAfter: nil)
    }

    /// A short description of a transport error, with the API key redacted just in case.
    func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return redact(text.count > 300 ? String(text.prefix(300)) + "…" : text)
    }

    /// `text` without the API key.
    func redact(_ text: String) -> String {
        guard let apiKey = configuration.apiKey, apiKey.count >= 4 else { return text }
        return text.replacingOccurrences(of: apiKey, with: "<redacted>")
    }
}
