import Foundation
import TernCore

// The OpenAI chat-completions wire format, decoded leniently: every field a real server may
// omit or send as null is optional here, and defaults are applied when mapping to Core types.
// Stored fields mirror the JSON keys named in their `CodingKeys` and carry no further docs.

/// A function name and its arguments; in stream deltas either may be missing.
struct WireFunction: Codable {
    var name: String?
    var arguments: WireArguments?
}

/// Tool-call arguments: JSON text per the spec; some servers send a JSON object instead, which
/// is re-encoded to text (``JSONValue/jsonText``: sorted keys) so callers always get a string.
struct WireArguments: Codable {
    var text: String

    /// Arguments given as text.
    init(text: String) { self.text = text }

    /// Accepts a JSON string, or any other JSON value (re-encoded with sorted keys).
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self.text = text
        } else {
            self.text = try container.decode(JSONValue.self).jsonText
        }
    }

    /// Always encodes the text form.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// Token counts; servers sometimes send nulls or leave out the total.
struct WireUsage: Decodable {
    var promptTokens: Int?
    var completionTokens: Int?
    var totalTokens: Int?

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
    }

    /// Core usage; missing counts are 0 and a missing total is their sum.
    var tokenUsage: TokenUsage {
        TokenUsage(promptTokens: promptTokens ?? 0, completionTokens: completionTokens ?? 0, totalTokens: totalTokens)
    }
}

/// The body of a non-streamed chat completion.
struct WireChatResponse: Decodable {
    var model: String?
    var choices: [Choice]?
    var usage: WireUsage?

    /// One answer; only index 0 is used.
    struct Choice: Decodable {
        var index: Int?
        var message: Message?
        var finishReason: String?
        enum CodingKeys: String, CodingKey {
            case index, message
            case finishReason = "finish_reason"
        }
    }

    /// The assistant message of a choice.
    struct Message: Decodable {
        var content: String?
        var toolCalls: [WireToolCall]?
        enum CodingKeys: String, CodingKey {
            case content
            case toolCalls = "tool_calls"
        }
    }
}

/// One `chat.completion.chunk` of a stream, or an error object sent in its place.
struct WireChunk: Decodable {
    var model: String?
    var choices: [Choice]?
    var usage: WireUsage?
    var error: WireError?

    /// One choice's delta; only index 0 is used.
    struct Choice: Decodable {
        var index: Int?
        var delta: Delta?
        var finishReason: String?
        enum CodingKeys: String, CodingKey {
            case index, delta
            case finishReason = "finish_reason"
        }
    }

    /// New content and tool-call pieces.
    struct Delta: Decodable {
        var content: String?
        var toolCalls: [ToolCallDelta]?
        enum CodingKeys: String, CodingKey {
            case content
            case toolCalls = "tool_calls"
        }
    }

    /// A piece of a tool call, found by `index` (id and name may repeat in every piece).
    struct ToolCallDelta: Decodable {
        var index: Int?
        var id: String?
        var function: WireFunction?
    }
}

/// An OpenAI-shaped error: `{"error": {"message": …, "type": …, "code": …}}`, or `{"error": "…"}`.
struct WireError: Decodable {
    var message: String?
    var code: Int?
    /// A non-numeric `code`, e.g. `context_length_exceeded`.
    var codeName: String?

    enum CodingKeys: String, CodingKey { case message, code }

    /// Accepts an object with `message`/`code` (numeric, numeric string or a name) or a bare string.
    init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            message = text
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        message = try? container.decodeIfPresent(String.self, forKey: .message)
        if let number = try? container.decodeIfPresent(Int.self, forKey: .code) {
            code = number
        } else if let text = try? container.decodeIfPresent(String.self, forKey: .code) {
            code = Int(text)
            if code == nil { codeName = text }
        }
    }
}

/// The answer of a tokenize endpoint (llama-cpp-python, llama-server).
struct WireTokens: Decodable {
    var tokens: [JSONValue]
}

/// The error bodies servers send with a failure status: OpenAI's `error`, or a bare
/// `message` / `detail` (FastAPI-style servers).
struct WireErrorEnvelope: Decodable {
    var error: WireError?
    var message: String?
    var detail: String?

    /// The most specific message present.
    var bestMessage: String? {
        error?.message ?? message ?? detail
    }
}

/// The body of `GET /models`.
struct WireModelList: Decodable {
    var data: [Model]

    /// One listed model.
    struct Model: Decodable {
        var id: String
        var ownedBy: String?
        enum CodingKeys: String, CodingKey {
            case id
            case ownedBy = "owned_by"
        }
    }
}

/// The body of `POST /embeddings`.
struct WireEmbeddingRequest: Encodable {
    var model: String?
    var input: [String]
    var encodingFormat: String

    enum CodingKeys: String, CodingKey {
        case model, input
        case encodingFormat = "encoding_format"
    }
}

/// The answer of `POST /embeddings`.
struct WireEmbeddingResponse: Decodable {
    var data: [Item]

    /// One embedding and the input index it belongs to.
    struct Item: Decodable {
        var index: Int?
        var embedding: WireEmbeddingVector
    }
}

/// One embedding: a float array, base64 of little-endian float32 values, or one float array per
/// token.
///
/// llama-cpp-python's server answers with one vector per token when its model's pooling is
/// `none` (the default for a chat model such as SmolLM2 started with `--embedding true`):
/// `"embedding": [[-0.50, …], [0.12, …]]`. Those are mean-pooled here, which gives exactly the
/// vector the same server returns with mean pooling (`--kv_overrides llama.pooling_type=int:1`).
enum WireEmbeddingVector: Decodable {
    /// `encoding_format: float`.
    case floats([Float])
    /// `encoding_format: base64`.
    case base64(String)
    /// One vector per input token (a server without pooling).
    case perToken([[Float]])

    /// A string is base64; an array of arrays is per token; anything else must be a float array.
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .base64(text)
        } else if let values = try? container.decode([Float].self) {
            self = .floats(values)
        } else if let rows = try? container.decode([[Float]].self) {
            self = .perToken(rows)
        } else {
            self = .floats(try container.decode([Float].self))  // rethrows the decoder's own error
        }
    }

    /// Why a vector cannot be used.
    struct Unusable: Error {
        /// What was wrong, e.g. "is not valid base64 float32".
        var reason: String
    }

    /// The floats: base64 decoded, per-token vectors mean-pooled.
    /// - Throws: ``Unusable`` for malformed base64, no tokens, or tokens of different lengths.
    func floats() throws(Unusable) -> [Float] {
        switch self {
        case .floats(let values):
            return values
        case .base64(let text):
            guard let data = Data(base64Encoded: text), data.count % 4 == 0 else {
                throw Unusable(reason: "is not valid base64 float32")
            }
            return stride(from: 0, to: data.count, by: 4).map { offset in
                let start = data.startIndex + offset
                let bits =
                    UInt32(data[start]) | UInt32(data[start + 1]) << 8 | UInt32(data[start + 2]) << 16
                    | UInt32(data[start + 3]) << 24
                return Float(bitPattern: bits)
            }
        case .perToken(let rows):
            return try Self.meanPooled(rows)
        }
    }

    /// The component-wise mean of per-token vectors (summed in `Double`).
    static func meanPooled(_ rows: [[Float]]) throws(Unusable) -> [Float] {
        guard let width = rows.first?.count, width > 0 else {
            throw Unusable(reason: "has no token vectors")
        }
        var sums = [Double](repeating: 0, count: width)
        for row in rows {
            guard row.count == width else {
                throw Unusable(reason: "has token vectors of \(width) and \(row.count) dimensions")
            }
            for (dimension, value) in row.enumerated() { sums[dimension] += Double(value) }
        }
        let count = Double(rows.count)
        return sums.map { Float($0 / count) }
    }
}
