import Foundation
import TernCore

extension FakeLLMRoutes {
    /// Directives for tests that drive the fake from outside (the standalone `tern-fake-llm` with
    /// a real front end in front of Tern), where nothing can script replies:
    /// - a last user message containing `[[call:<tool> <json args>]]`, with `<tool>` among the
    ///   request's `tools`, is answered with a call of that tool;
    /// - a thread ending in a `tool` message is answered `Tool result: <its content>`.
    /// Anything else gets no directed reply (`nil`).
    static func directed(_ messages: [JSONValue], tools: JSONValue?) -> FakeLLMReply? {
        guard let last = messages.last else { return nil }
        if last["role"]?.stringValue == "tool" {
            return .content("Tool result: " + text(of: last))
        }
        guard last["role"]?.stringValue == "user" else { return nil }
        let content = text(of: last)
        guard let start = content.range(of: "[[call:"),
            let end = content.range(of: "]]", range: start.upperBound..<content.endIndex)
        else { return nil }
        let directive = content[start.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespaces)
        let name = String(directive.prefix { !$0.isWhitespace })
        let arguments = directive.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        let offered = tools?.arrayValue?.compactMap { $0["function"]?["name"]?.stringValue } ?? []
        guard offered.contains(name) else { return nil }
        return .toolCalls(
            FakeLLMToolCall(
                id: "call_\(FakeLLMText.wordCount(content))_\(name)", name: name,
                arguments: arguments.isEmpty ? "{}" : arguments))
    }
}
