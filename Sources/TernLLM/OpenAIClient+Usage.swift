import Foundation
import Logging
import NIOHTTP1
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
        let prompt = request.promptText
        let answer = ChatRequest.answerText(content: completion.content, toolCalls: completion.toolCalls)
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
        return TokenUsage.estimated(prompt: prompt, answer: answer)
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
