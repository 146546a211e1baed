import Foundation
import TernCore

extension OpenAIClient {
    /// The usage of `completion`: the server's report when it gave one; otherwise Tern's count,
    /// marked ``TokenUsage/estimated`` — from the server's tokenize endpoint when its profile has
    /// one (exact token counts of the texts, but not of the chat template around them), else
    /// about one token per four characters. Counting never fails a call: a tokenize failure is
    /// logged and the estimate used.
    ///
    /// No tokenize call is made while another model call is in flight: llama-cpp-python would
    /// cut that call's stream for it.
    func usage(of completion: ChatCompletion, for request: ChatRequest, profile: ModelServerProfile) async
        -> TokenUsage
    {
        if let usage = completion.usage { return usage }
        let prompt = Self.promptText(of: request)
        let answer = Self.answerText(content: completion.content, toolCalls: completion.toolCalls)
        if let tokenizer = profile.tokenizer, callTracker.inFlight == 0 {
            do {
                let promptTokens = try await countTokens(prompt, with: tokenizer, model: request.model)
                let answerTokens = try await countTokens(answer, with: tokenizer, model: request.model)
                return TokenUsage(promptTokens: promptTokens, completionTokens: answerTokens, estimated: true)
            } catch {
                logger.warning(
                    "could not count tokens with the model server, estimating",
                    metadata: ["server": "\(serverName)", "path": "\(tokenizer.path)", "error": "\(error)"])
            }
        }
        return Self.estimatedUsage(prompt: prompt, answer: answer)
    }

    /// About one token per four characters, at least one per non-empty text; estimated.
    static func estimatedUsage(prompt: String, answer: String) -> TokenUsage {
        TokenUsage(promptTokens: estimateTokens(prompt), completionTokens: estimateTokens(answer), estimated: true)
    }

    /// About one token per four characters, at least one for a non-empty text.
    static func estimateTokens(_ text: String) -> Int {
        text.isEmpty ? 0 : max(1, (text.count + 3) / 4)
    }

    /// The request's messages as one text: role, content and tool calls of each.
    static func promptText(of request: ChatRequest) -> String {
        request.messages.map { message in
            let calls = answerText(content: "", toolCalls: message.toolCalls ?? [])
            return [message.role.rawValue, message.content ?? "", calls].filter { !$0.isEmpty }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// An answer's text: its content, then each tool call's name and arguments.
    static func answerText(content: String, toolCalls: [ToolCall]) -> String {
        ([content] + toolCalls.map { "\($0.name) \($0.arguments)" }).filter { !$0.isEmpty }.joined(separator: "\n")
    }

    /// The number of tokens in `text` by the server's tokenizer (one brief try).
    private func countTokens(_ text: String, with tokenizer: ModelServerProfile.Tokenizer, model: String)
        async throws -> Int
    {
        guard !text.isEmpty else { return 0 }
        let call = call(.POST, tokenizer.path, atRoot: true)
        let body = try encode(JSONValue.object([tokenizer.inputKey: .string(text), "model": .string(model)]), for: call)
        let limits = CallLimits(head: .seconds(5), idle: .seconds(5), total: .seconds(10))
        let data = try await send(call, body: body, limits: limits, retries: false)
        return try decode(WireTokens.self, from: data, for: call).tokens.count
    }
}
