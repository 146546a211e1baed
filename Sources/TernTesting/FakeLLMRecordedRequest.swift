package import Foundation
package import TernCore

/// A request as ``FakeLLMServer`` received it.
package struct FakeLLMRecordedRequest: Sendable {
    /// Where chat completions are asked for (the rest is `GET /v1/models`, Tern's reachability check).
    package static let chatPath = "/v1/chat/completions"

    /// `GET`, `POST`, …
    package var method: String
    /// The path without the query, e.g. `/v1/chat/completions`.
    package var path: String
    /// Header values by lowercased name; repeated headers are joined with `, `.
    package var headers: [String: String]
    /// The raw body.
    package var body: Data
    /// The body as JSON, when it is JSON.
    package var json: JSONValue?

    /// A header by case-insensitive name.
    package func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// The `messages` of a chat request.
    package var messages: [JSONValue] {
        json?["messages"]?.arrayValue ?? []
    }

    /// Whether this was a `stream: true` chat request.
    package var isStreaming: Bool {
        json?["stream"] == .bool(true)
    }
}
