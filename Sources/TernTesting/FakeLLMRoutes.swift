import Foundation
import Hummingbird
import Logging
import NIOCore
import TernCore

/// The request context of the fake: the default one plus the connection, so a handler can
/// notice its client leaving.
struct FakeLLMContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Thrown to drop a connection on purpose (mid-stream disconnect, server stopping).
struct FakeLLMDroppedConnection: Error {}

/// The endpoints of the fake server.
struct FakeLLMRoutes: Sendable {
    let state: FakeLLMState
    let logger: Logger

    func register(on router: Router<FakeLLMContext>) {
        router.post("v1/chat/completions") { request, context in
            let (record, json) = try await recordRequest(request)
            try await waitWhileFrozen(channel: context.channel)
            return try await chatResponse(to: record, json: json, channel: context.channel)
        }
        // FastAPI's own page in llama-cpp-python: it takes no model lock, so it cuts no stream
        // (not recorded either); other servers answer 404.
        router.get("docs") { _, _ in
            state.docsCount.increment()
            guard state.quirks.servesDocsPage else { throw HTTPError(.notFound) }
            return Response(
                status: .ok, headers: [.contentType: "text/html"],
                body: .init(byteBuffer: ByteBuffer(string: "<!DOCTYPE html><title>fake LLM API</title>")))
        }
        router.get("v1/models") { request, context in
            _ = try await recordRequest(request)
            try await waitWhileFrozen(channel: context.channel)
            let model: JSONValue = .object([
                "id": .string(FakeLLMServer.modelID), "object": .string("model"), "created": .number(0),
                "owned_by": .string(state.quirks.ownedBy),
            ])
            return Self.json(.object(["object": .string("list"), "data": .array([model])]))
        }
        if let tokenizer = state.quirks.tokenizer {
            router.post(RouterPath(stringLiteral: String(tokenizer.path.dropFirst()))) { request, context in
                let (_, json) = try await recordRequest(request)
                try await waitWhileFrozen(channel: context.channel)
                guard let text = json?[tokenizer.inputKey]?.stringValue else {
                    return Self.error(status: 422, message: "'\(tokenizer.inputKey)' is required")
                }
                let count = FakeLLMText.wordCount(text)
                return Self.json(.object(["tokens": .array((0..<count).map { .number(Double($0 + 1)) })]))
            }
        }
        router.post("v1/embeddings") { request, _ in
            let (_, json) = try await recordRequest(request)
            return embeddingsResponse(to: json)
        }
        // Scripting from other processes (the Python interop tests): not part of the OpenAI API.
        router.post("_script") { request, _ in
            var request = request
            let buffer = try await request.collectBody(upTo: 1024 * 1024)
            let replies = try FakeLLMScript.replies(from: Data(buffer.readableBytesView))
            state.enqueue(replies)
            return Self.json(.object(["queued": .number(Double(state.pendingReplies))]))
        }
        router.get("_requests") { _, _ in
            let chats = state.records.filter { $0.path == "/v1/chat/completions" }.compactMap(\.json)
            return Self.json(.object(["data": .array(chats)]))
        }
    }

    /// Holds the request while the server is frozen; drops it when its client leaves.
    private func waitWhileFrozen(channel: any Channel) async throws {
        guard let gate = state.frozenGate else { return }
        switch await fakeLLMWait(for: nil, gate: gate.signal, stop: state.stopping, clientGone: state.clientGone(on: channel)) {
        case .elapsed: return
        case .clientGone: throw FakeLLMDroppedConnection()
        case .serverStopping: throw HTTPError(.serviceUnavailable, message: "the fake LLM server is stopping")
        }
    }

    /// Reads and records the request; returns it and its JSON body, if it has one.
    private func recordRequest(_ request: Request) async throws -> (FakeLLMRecordedRequest, JSONValue?) {
        var request = request
        let buffer = try await request.collectBody(upTo: 16 * 1024 * 1024)
        let body = Data(buffer.readableBytesView)
        let json = body.isEmpty ? nil : try? JSONDecoder().decode(JSONValue.self, from: body)  // nil: not JSON
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        let record = FakeLLMRecordedRequest(
            method: request.method.rawValue, path: request.uri.path, headers: headers, body: body, json: json)
        state.record(record)
        return (record, json)
    }

    private func embeddingsResponse(to json: JSONValue?) -> Response {
        let inputs: [String]
        switch json?["input"] {
        case .string(let text): inputs = [text]
        case .array(let items) where items.allSatisfy({ $0.stringValue != nil }): inputs = items.compactMap(\.stringValue)
        default: return Self.error(status: 400, message: "'input' must be a string or an array of strings")
        }
        let base64 = json?["encoding_format"]?.stringValue == "base64"
        let data: [JSONValue] = inputs.enumerated().map { index, text in
            let vector = FakeLLMServer.embedding(for: text)
            let embedding: JSONValue =
                if state.quirks.embedsPerToken {
                    // Per token, and never base64: llama-cpp-python ignores `encoding_format`.
                    .array(FakeLLMText.words(in: text).map { Self.floats(FakeLLMServer.embedding(for: String($0))) })
                } else {
                    base64 ? .string(FakeLLMEmbedding.base64(vector)) : Self.floats(vector)
                }
            return .object(["object": .string("embedding"), "index": .number(Double(index)), "embedding": embedding])
        }
        let words = Double(inputs.map(FakeLLMText.wordCount).reduce(0, +))
        return Self.json(
            .object([
                "object": .string("list"), "data": .array(data),
                "model": .string(json?["model"]?.stringValue ?? FakeLLMServer.modelID),
                "usage": .object(["prompt_tokens": .number(words), "total_tokens": .number(words)]),
            ]))
    }

    /// A vector as a JSON array of numbers.
    private static func floats(_ vector: [Float]) -> JSONValue {
        .array(vector.map { .number(Double($0)) })
    }

    /// A JSON response.
    static func json(_ value: JSONValue, status: Int = 200, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(
            status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: encode(value))))
    }

    /// An OpenAI-shaped error response.
    static func error(status: Int, message: String, headers: HTTPFields = [:]) -> Response {
        json(errorBody(status: status, message: message), status: status, headers: headers)
    }

    static func errorBody(status: Int, message: String) -> JSONValue {
        let type = status == 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error"
        return .object([
            "error": .object([
                "message": .string(message), "type": .string(type), "code": .number(Double(status)),
            ])
        ])
    }

    static func encode(_ value: JSONValue) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // JSONValue always encodes; a failure here is a bug in the fake itself.
        return (try? encoder.encode(value)) ?? Data("null".utf8)
    }
}
