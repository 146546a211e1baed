import AsyncHTTPClient
import Foundation
import NIOCore
import TernCore

/// What the Streamable HTTP transport reads from a JSON-RPC message it passes on: enough to
/// match responses to requests and to learn the negotiated protocol version, nothing more.
struct StreamableHTTPPeek: Decodable {
    var id: JSONRPCID?
    var method: String?
    /// A response (or error response): no `method`, and a `result` or an `error`.
    var isResponse: Bool
    /// `result.protocolVersion`, present in an initialize result.
    var protocolVersion: String?
    /// `params.requestId` of a `notifications/cancelled`: the request the client gave up on.
    var cancelledRequestID: JSONRPCID?

    private enum Key: String, CodingKey {
        case id, method, result, error, protocolVersion, params, requestId
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        if container.contains(.id), try !container.decodeNil(forKey: .id) {
            id = try? container.decode(JSONRPCID.self, forKey: .id)
        }
        method = try? container.decodeIfPresent(String.self, forKey: .method)
        isResponse = method == nil && (container.contains(.result) || container.contains(.error))
        if let result = try? container.nestedContainer(keyedBy: Key.self, forKey: .result) {
            protocolVersion = try? result.decodeIfPresent(String.self, forKey: .protocolVersion)
        }
        if method == "notifications/cancelled", let params = try? container.nestedContainer(keyedBy: Key.self, forKey: .params) {
            cancelledRequestID = try? params.decodeIfPresent(JSONRPCID.self, forKey: .requestId)
        }
    }
}

/// A message (or batch) about to be POSTed: which requests it carries.
struct StreamableHTTPOutgoing: Sendable {
    /// Ids of the requests in it (notifications and responses have none).
    var requestIDs: Set<JSONRPCID>
    /// The methods of its requests and notifications, in order.
    var methods: [String]
    /// Requests this message cancels (`notifications/cancelled`).
    var cancelledIDs: Set<JSONRPCID>

    init(_ data: Data) {
        let decoder = JSONDecoder()
        let peeks: [StreamableHTTPPeek]
        if let one = try? decoder.decode(StreamableHTTPPeek.self, from: data) {
            peeks = [one]
        } else if let batch = try? decoder.decode([StreamableHTTPPeek].self, from: data) {
            peeks = batch
        } else {
            peeks = []  // not JSON-RPC we can read: sent as it is, nothing awaited
        }
        requestIDs = Set(peeks.compactMap { $0.method == nil ? nil : $0.id })
        methods = peeks.compactMap(\.method)
        cancelledIDs = Set(peeks.compactMap(\.cancelledRequestID))
    }

    var isInitialize: Bool { methods.contains("initialize") }
    var isInitializedNotification: Bool { methods.contains("notifications/initialized") }
    /// How errors name the message: its first method.
    var operation: String { methods.first ?? "response" }
}

/// JSON-RPC and HTTP helpers of the Streamable HTTP transport.
enum StreamableHTTPMessages {
    /// A JSON-RPC error response for `id` (code -32603, the message also as `data.detail`, as
    /// clients that show `data` expect), so a request the server will not answer fails at once.
    static func errorResponse(id: JSONRPCID, message: String) -> Data {
        MCPWire.response(id: id, error: (-32603, message), errorData: ["detail": .string(message)])
    }

    /// The messages in `data`: the elements of a JSON array (a batch), else `data` itself.
    static func split(_ data: Data, server: String) throws -> [Data] {
        guard data.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "[") else { return [data] }
        guard let array = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
            throw MCPClientError.protocolViolation(server: server, message: "a batch is not a valid JSON array")
        }
        return try array.map { element in
            guard JSONSerialization.isValidJSONObject(element) else {
                throw MCPClientError.protocolViolation(server: server, message: "a batch element is not a JSON object")
            }
            return try JSONSerialization.data(withJSONObject: element)
        }
    }

    /// What an HTTP error body says, for an error message: a JSON-RPC error's `message`, else the
    /// text; white space collapsed, control characters escaped, at most 200 characters (and an
    /// ellipsis). Reads at most 4 KiB, for at most 5 seconds.
    static func errorDetail(from body: HTTPClientResponse.Body) async -> String {
        let data: Data
        do {
            data = try await withDeadline(.seconds(5)) {
                var data = Data()
                for try await chunk in body {
                    data.append(contentsOf: chunk.readableBytesView.prefix(4096 - data.count))
                    if data.count >= 4096 { break }
                }
                return data
            }
        } catch {
            return ""  // the status alone still says what went wrong
        }
        struct ErrorBody: Decodable {
            struct Failure: Decodable { var message: String }
            var error: Failure
        }
        let text =
            (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error.message
            ?? String(decoding: data, as: UTF8.self)
        let flat = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let shown = printable(flat)
        return shown.count > 200 ? String(shown.prefix(200)) + "…" : shown
    }

    /// `text` with control characters escaped, so a server cannot forge log lines or messages.
    static func printable(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                result += String(format: "\\x%02x", scalar.value)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Runs `operation`, cancelling it after `limit` and throwing `HTTPClientError.deadlineExceeded`.
    static func withDeadline<T: Sendable>(
        _ limit: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withTimeLimit(limit, orThrow: { HTTPClientError.deadlineExceeded }, operation)
    }
}
