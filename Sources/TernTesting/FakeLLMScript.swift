import Foundation
import Hummingbird
import TernCore

/// The JSON form of a script, for `POST /_script` from other processes:
///
/// ```json
/// {"replies": [
///   {"tool_calls": [{"id": "c1", "name": "calculator", "arguments": "{\"expression\": \"6*7\"}"}]},
///   {"content": ["The answer ", "is 42."]}
/// ]}
/// ```
enum FakeLLMScript {
    /// A 400 naming what is wrong with the script.
    static func Invalid(description: String) -> HTTPError {
        HTTPError(.badRequest, message: description)
    }

    static func replies(from data: Data) throws -> [FakeLLMReply] {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw Invalid(description: "the script is not JSON")
        }
        guard let replies = root["replies"]?.arrayValue else {
            throw Invalid(description: "the script needs a \"replies\" array")
        }
        return try replies.enumerated().map { index, reply in
            let content = reply["content"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let calls = try (reply["tool_calls"]?.arrayValue ?? []).map { call in
                guard let id = call["id"]?.stringValue, let name = call["name"]?.stringValue,
                    let arguments = call["arguments"]?.stringValue
                else { throw Invalid(description: "replies[\(index)]: a tool call needs id, name and arguments strings") }
                return FakeLLMToolCall(id: id, name: name, arguments: arguments)
            }
            return calls.isEmpty ? .content(content) : FakeLLMReply(kind: .answer(pieces: content, toolCalls: calls))
        }
    }
}
