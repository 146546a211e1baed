package import AsyncHTTPClient
import Foundation
import Synchronization
package import Logging
import NIOHTTP1
package import TernCore

/// A ``ModelProvider`` for any OpenAI-compatible server (OpenAI, vLLM, llama.cpp, LM Studio,
/// Ollama, …): chat (plain and streamed), models and embeddings, with retries and timeouts.
///
/// The request is shaped per ``ModelServerProfile`` (configured, or detected once from
/// `GET /models`); a completion without usage gets Tern's count (``TokenUsage/estimated``);
/// every call is counted in ``callTracker`` for the reachability check.
///
/// The `HTTPClient` is injected and not owned: the caller shuts it down. Build it from
/// ``OpenAIClientConfiguration/httpClientConfiguration`` so a refused connection fails at once.
package struct OpenAIClient: ModelProvider, ModelCallTracking {
    /// The sleep used between retries; injectable so tests can record backoff without waiting.
    package typealias Sleep = @Sendable (Duration) async throws -> Void

    /// Where the server is and how patient to be.
    let configuration: OpenAIClientConfiguration
    /// The shared client; owned by the caller.
    let httpClient: HTTPClient
    /// Labelled `tern.llm`; never given keys or message bodies.
    let logger: Logger
    /// Waits between retries.
    let sleep: Sleep
    /// Backoff derived from the configuration.
    let retryPolicy: RetryPolicy
    /// `baseURL` without a trailing slash.
    let baseURL: String
    /// The path part of `baseURL` (e.g. `/v1`), for naming endpoints in errors.
    let basePath: String
    /// `scheme://host:port` of `baseURL`, for endpoints at the server's root (tokenize).
    let rootURL: String
    /// `host:port` of the model server, for errors and logs (no scheme, credentials or path).
    let serverName: String
    /// Calls in flight and the latest evidence of reachability.
    package let callTracker: ModelCallTracker
    /// The detected server profile, once known.
    let profiles = ProfileCache()
    /// Whether llama-cpp-python's `/docs` page answers (``checkReachability()``).
    let reachabilityPage = ReachabilityPage()

    /// Creates a client.
    /// - Parameters:
    ///   - configuration: Where the server is and how patient to be.
    ///   - httpClient: The shared HTTP client; not shut down by this type.
    ///   - logger: Defaults to the `tern.llm` label.
    ///   - sleep: Waits between retries; tests pass a recorder.
    ///   - callTracker: Counts this client's calls; pass one to share it.
    package init(
        configuration: OpenAIClientConfiguration,
        httpClient: HTTPClient,
        logger: Logger = Logger(label: "tern.llm"),
        sleep: @escaping Sleep = { try await Task.sleep(for: $0) },
        callTracker: ModelCallTracker = ModelCallTracker()
    ) {
        self.configuration = configuration
        self.callTracker = callTracker
        self.httpClient = httpClient
        self.logger = logger
        self.sleep = sleep
        retryPolicy = RetryPolicy(
            maxRetries: max(0, configuration.maxRetries), baseDelay: configuration.retryBaseDelay,
            maxDelay: configuration.maxRetryDelay)
        var base = configuration.baseURL.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        let components = URLComponents(string: base)
        basePath = components?.path ?? ""
        let host = components?.host ?? "model-server"
        let port = components?.port.map { ":\($0)" } ?? ""
        serverName = host + port
        rootURL = "\(components?.scheme ?? "http")://\(host.contains(":") ? "[\(host)]" : host)\(port)"
    }

    /// Names `path` below the base URL (or the server's root) for errors and logs.
    func call(_ method: HTTPMethod, _ path: String, atRoot: Bool = false) -> Call {
        Call(method: method, path: path, server: serverName, basePath: basePath, atRoot: atRoot)
    }

    /// One non-streamed chat completion, retried on connection errors, 408, 409, 429 and 5xx
    /// (except a 500 that reads like a validation error).
    package func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        let call = call(.POST, "/chat/completions")
        let profile = await profile()
        let body = try encode(WireChatRequest(request, stream: false, profile: profile), for: call)
        logger.debug("chat completion", metadata: ["endpoint": "\(call.endpoint)", "model": "\(request.model)"])
        let data = try await send(call, body: body)
        var completion = try decode(WireChatResponse.self, from: data, for: call).completion(endpoint: call.endpoint)
        completion.usage = await usage(of: completion, for: request, profile: profile)
        logFinished("chat completion finished", completion, call: call)
        return completion
    }

    /// Logs a finished chat call at debug: finish reason, tool calls, tokens (and whether estimated).
    func logFinished(_ message: Logger.Message, _ completion: ChatCompletion, call: Call) {
        logger.debug(
            message,
            metadata: [
                "endpoint": "\(call.endpoint)", "finish_reason": "\(completion.finishReason ?? "none")",
                "tool_calls": "\(completion.toolCalls.count)",
                "completion_tokens": "\(completion.usage.map { String($0.completionTokens) } ?? "unknown")",
                "usage_estimated": "\(completion.usage?.estimated ?? false)",
            ])
    }

    /// The models the server lists. The answer also settles the server profile when it is
    /// `auto` and not detected yet.
    package func models() async throws -> [ModelInfo] {
        let call = call(.GET, "/models")
        let (data, serverHeader) = try await exchange(call, body: nil)
        let models = try decode(WireModelList.self, from: data, for: call).data.map {
            ModelInfo(id: $0.id, ownedBy: $0.ownedBy)
        }
        if configuration.profile == nil, profiles.detected == nil {
            settleProfile(ownedBy: models.compactMap(\.ownedBy), serverHeader: serverHeader)
        }
        return models
    }

    /// Whether the server answers, without cutting anyone's answer short: `GET /models` on most
    /// servers; on llama-cpp-python, whose `/v1/models` takes the model's lock like a completion
    /// (so any stream running then ends at once with `[DONE]`: another replica's, another
    /// client's), `GET /docs` beside `/v1` (FastAPI's own page, which takes no lock). A server
    /// (or a proxy in front) that does not serve that page answers 4xx: then this client checks
    /// with `GET /models` from then on, as elsewhere.
    package func checkReachability() async throws {
        guard (configuration.profile ?? profiles.detected) == .llamaCpp, reachabilityPage.usable else {
            _ = try await models()
            return
        }
        do {
            _ = try await exchange(call(.GET, Self.docsPath(basePath: basePath), atRoot: true), body: nil, retries: false)
        } catch ModelError.upstream(_, let status, _) where (400..<500).contains(status) {
            reachabilityPage.markUnusable()
            _ = try await models()
        }
    }

    /// FastAPI's page beside the API: the base URL's path without its last `/v1`, then `/docs`
    /// (`/v1` → `/docs`, `/llm/v1` → `/llm/docs`).
    static func docsPath(basePath: String) -> String {
        var path = basePath
        while path.hasSuffix("/") { path.removeLast() }
        if path.hasSuffix("/v1") { path.removeLast(3) }
        return path + "/docs"
    }

    /// Embeddings for each input, in input order. `model` falls back to
    /// ``OpenAIClientConfiguration/embeddingModel``.
    package func embed(_ inputs: [String], model: String?) async throws -> [[Float]] {
        guard !inputs.isEmpty else { return [] }
        let call = call(.POST, "/embeddings")
        let request = WireEmbeddingRequest(
            model: model ?? configuration.embeddingModel, input: inputs,
            encodingFormat: configuration.embeddingEncoding.rawValue)
        let data = try await send(call, body: try encode(request, for: call))
        let items = try decode(WireEmbeddingResponse.self, from: data, for: call).data
        guard items.count == inputs.count else {
            throw ModelError.invalidResponse(
                endpoint: call.endpoint, reason: "expected \(inputs.count) embeddings, got \(items.count)")
        }
        let ordered = items.enumerated().sorted { ($0.element.index ?? $0.offset) < ($1.element.index ?? $1.offset) }
        return try ordered.map { position, item in
            do throws(WireEmbeddingVector.Unusable) {
                return try item.embedding.floats()
            } catch {
                throw ModelError.invalidResponse(
                    endpoint: call.endpoint, reason: "embedding \(item.index ?? position) \(error.reason)")
            }
        }
    }

    /// JSON for a request body.
    func encode(_ value: some Encodable, for call: Call) throws -> Data {
        do {
            return try JSONEncoder().encode(value)
        } catch {
            throw ModelError.invalidResponse(endpoint: call.endpoint, reason: "could not encode the request: \(error)")
        }
    }

    /// Decodes a response body; failures become ``ModelError/invalidResponse(endpoint:reason:)``.
    func decode<T: Decodable>(_ type: T.Type, from data: Data, for call: Call) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ModelError.invalidResponse(endpoint: call.endpoint, reason: Self.describe(decodingError: error))
        }
    }

    /// A short, body-free description of a decoding failure.
    static func describe(decodingError error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            "missing \(Self.path(context.codingPath + [key]))"
        case DecodingError.typeMismatch(let type, let context):
            "\(Self.path(context.codingPath)) is not \(type)"
        case DecodingError.valueNotFound(let type, let context):
            "\(Self.path(context.codingPath)) is null, expected \(type)"
        case DecodingError.dataCorrupted(let context):
            context.codingPath.isEmpty ? "not JSON" : "\(Self.path(context.codingPath)) is malformed"
        default:
            "undecodable JSON"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "the body" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
}

extension WireChatResponse {
    /// The first choice as a Core completion.
    func completion(endpoint: String) throws -> ChatCompletion {
        guard let choice = choices?.first(where: { ($0.index ?? 0) == 0 }) ?? choices?.first else {
            throw ModelError.invalidResponse(endpoint: endpoint, reason: "the response has no choices")
        }
        let toolCalls = (choice.message?.toolCalls ?? []).enumerated().map { position, call in
            ToolCall(
                id: call.id.flatMap { $0.isEmpty ? nil : $0 } ?? "call_\(position)",
                name: call.function?.name ?? "",
                arguments: call.function?.arguments?.text ?? "")
        }
        return ChatCompletion(
            content: choice.message?.content ?? "", toolCalls: toolCalls, finishReason: choice.finishReason,
            usage: usage?.tokenUsage, model: model)
    }
}

/// Whether the lock-free page ``OpenAIClient/checkReachability()`` asks on llama-cpp-python is
/// there; once it answered 4xx, the client checks with `GET /models` instead.
final class ReachabilityPage: Sendable {
    private let unusable = Mutex(false)

    var usable: Bool { !unusable.withLock { $0 } }

    func markUnusable() { unusable.withLock { $0 = true } }
}
