import Foundation
import TernCore

extension FakeLLMRoutes {
    /// The default reply: `Echo: <last user message>`, streamed word by word (as many pieces as
    /// `pace` asks for, when it names a number of tokens).
    static func echo(_ messages: [JSONValue], pace: FakeLLMPace? = nil) -> FakeLLMReply {
        let lastUser = messages.last { $0["role"]?.stringValue == "user" }.map(text(of:)) ?? ""
        let words = "Echo: \(lastUser)".components(separatedBy: " ")
        let pieces = words.enumerated().map { $0.offset == 0 ? $0.element : " " + $0.element }
        return .content(pace?.sized(pieces) ?? pieces)
    }

    /// The text of a message: its `content` string, or its text parts joined by newlines.
    static func text(of message: JSONValue) -> String {
        switch message["content"] {
        case .string(let text): text
        case .array(let parts): parts.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
        default: ""
        }
    }

    static func usage(_ usage: FakeLLMReply.Usage, messages: [JSONValue], pieces: [String]) -> TokenUsage? {
        switch usage {
        case .omitted:
            return nil
        case .exact(let usage):
            return usage
        case .counted:
            let prompt = messages.map { FakeLLMText.wordCount(text(of: $0)) }.reduce(0, +)
            return TokenUsage(promptTokens: prompt, completionTokens: FakeLLMText.wordCount(pieces.joined()))
        }
    }
}
