import Foundation

extension TokenUsage {
    /// Tern's own count when the model server reported none: about one token per four
    /// characters, at least one per non-empty text; marked ``estimated``.
    package static func estimated(prompt: String, answer: String) -> TokenUsage {
        TokenUsage(promptTokens: estimateTokens(prompt), completionTokens: estimateTokens(answer), estimated: true)
    }

    /// About one token per four characters, at least one for a non-empty text.
    package static func estimateTokens(_ text: String) -> Int {
        text.isEmpty ? 0 : max(1, (text.count + 3) / 4)
    }
}

extension ChatRequest {
    /// The request's messages as one text (role, content and tool calls of each), for counting.
    package var promptText: String {
        messages.map { message in
            let calls = Self.answerText(content: "", toolCalls: message.toolCalls ?? [])
            return [message.role.rawValue, message.content ?? "", calls].filter { !$0.isEmpty }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// An answer's text: its content, then each tool call's name and arguments.
    package static func answerText(content: String, toolCalls: [ToolCall]) -> String {
        ([content] + toolCalls.map { "\($0.name) \($0.arguments)" }).filter { !$0.isEmpty }.joined(separator: "\n")
    }
}
