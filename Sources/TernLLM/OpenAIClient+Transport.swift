package import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TernCore

/// One endpoint of the API, named the way errors and logs show it.
struct Call: Sendable {
    /// The HTTP method.
    var method: HTTPMethod
    /// The URL path below the base URL (or below the server's root for ``atRoot`` calls).
    var path: String
    /// Whether `path` is below the server's root rather than the API base (tokenize endpoints).
    var atRoot: Bool
    /// Method, server and full path, e.g. `POST 127.0.0.1:8000/v1/chat/completions`: names the
    /// model server without its scheme, credentials or query.
    var endpoint: String

    /// Names the endpoint `path` below `basePath` on `server` (`host:port`).
    init(method: HTTPMethod, path: String, server: String, basePath: String, atRoot: Bool = false) {
        self.method = method
        self.path = path
        self.atRoot = atRoot
        endpoint = "\(method.rawValue) \(server)\(atRoot ? "" : basePath)\(path)"
    }
}

extension OpenAIClientConfiguration {
    /// An `HTTPClient` configuration for the client the model calls use: connect timeout
    /// ``connectTimeout``, and a refused connection fails the request at once instead of being
    /// retried by the connection pool until the connect timeout (AsyncHTTPClient's default,
    /// which made every refused try last 10 s); ``OpenAIClient`` retries briefly itself. Read
    /// timeouts are enforced per call by ``OpenAIClient``.
    package var httpClientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(Int64(connectTimeout.seconds * 1e9)), read: nil)
        configuration.connectionPool.retryConnectionEstablishment = false
        // One connection per running model call: the pool must allow as many as may run.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maxConnections
        return configuration
    }
}

extension OpenAIClient {
    /// Limits for a non-streamed call, or for a stream (no total limit). The head limit is the
    /// read timeout itself (connecting included), so a timeout names the configured value.
    func limits(streaming: Bool) -> CallLimits {
        CallLimits(
            head: configuration.readTimeout, idle: configuration.readTimeout,
            total: streaming ? nil : configuration.requestTimeout)
    }

    /// Sends a non-streamed request with retries and timeouts and returns the 2xx body.
    /// Counted in ``callTracker`` while it runs. `limits` default to the configured ones;
    /// `retries: false` makes one attempt only.
    func send(_ call: Call, body: Data?, limits: CallLimits? = nil, retries: Bool = true) async throws -> Data {
        try await exchange(call, body: body, limits: limits, retries: retries).body
    }

    /// Like ``send(_:body:limits:retries:)``, also returning the response's `Server` header.
    func exchange(_ call: Call, body: Data?, limits: CallLimits? = nil, retries: Bool = true) async throws
        -> (body: Data, server: String?)
    {
        let limits = limits ?? self.limits(streaming: false)
        let maxBytes = configuration.maxResponseBytes
        return try await callTracker.withCall {
            try await withRetries(endpoint: call.endpoint, retries: retries) { _ in
                try await withWatchdog(limits, endpoint: call.endpoint) { watchdog in
                    let response = try await execute(call, body: body, accept: "application/json", limits: limits)
                    watchdog.touch()
                    try await checkStatus(response, for: call, watchdog: watchdog)
                    let data = try await readBody(response, upTo: maxBytes, for: call, watchdog: watchdog)
                    return (data, response.headers.first(name: "Server"))
                }
            }
        }
    }

    /// Starts the HTTP request; returns once the response head arrived, which counts as
    /// evidence that the server is reachable.
    func execute(_ call: Call, body: Data?, accept: String, limits: CallLimits) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: (call.atRoot ? rootURL : baseURL) + call.path)
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
        let start = ContinuousClock.now
        let response = try await httpClient.execute(request, timeout: .nanoseconds(Int64(backstop.seconds * 1e9)))
        note(.reachable(milliseconds: Int((ContinuousClock.now - start) / .milliseconds(1))))
        return response
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

    /// `text` without the API key.
    func redact(_ text: String) -> String {
        guard let apiKey = configuration.apiKey, apiKey.count >= 4 else { return text }
        return text.replacingOccurrences(of: apiKey, with: "<redacted>")
    }
}
