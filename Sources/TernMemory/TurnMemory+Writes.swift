import Foundation
import Logging
package import TernCore

extension TurnMemory {
    /// What the turn was, for the writes after it.
    package struct Exchange: Sendable {
        package var context: ContextID
        package var user: UserID
        package var conversation: ConversationID?
        package var input: String
        package var answer: String

        package init(context: ContextID, user: UserID, conversation: ConversationID?, input: String, answer: String) {
            self.context = context
            self.user = user
            self.conversation = conversation
            self.input = input
            self.answer = answer
        }
    }

    /// Stores an explicit "remember that …" from the user's message at once (in the background,
    /// retried), so a failing store never fails the turn; not in a context whose memory is off
    /// (its users were told nothing is kept). Returns whether the message asked.
    @discardableResult
    package func rememberExplicit(_ exchange: Exchange) -> Bool {
        guard let fact = ExplicitMemory.fact(in: exchange.input) else { return false }
        let (service, logger) = (self.service, self.logger)
        let metadata = Self.metadata(exchange)
        writer.submit("remember", context: exchange.context) {
            guard try await service.preferences(in: exchange.context).enabled else {
                logger.info(
                    "a message asked to remember something, but memory is off in its context; nothing stored",
                    metadata: ["context": "\(exchange.context)"])
                return
            }
            _ = try await service.remember(fact, source: "user", metadata: metadata, in: exchange.context)
        }
        return true
    }

    /// After the turn: when the context has turn summaries on, asks the model for a one- or
    /// two-sentence summary and remembers it, all in the background.
    package func turnEnded(_ exchange: Exchange) {
        guard !exchange.answer.isEmpty else { return }
        // The turn's recall read the preferences a moment ago: most turns stop here, unwritten.
        if let cached = service.preferencesCache.preferences(of: exchange.context), !cached.summarizeTurns { return }
        let (service, model, summaryModel, logger) = (self.service, self.model, self.summaryModel, self.logger)
        let metadata = Self.metadata(exchange)
        writer.submit("turn-summary", context: exchange.context) {
            guard try await service.preferences(in: exchange.context).summarizeTurns else { return }
            let completion = try await model.complete(
                ChatRequest(model: summaryModel, messages: Self.summaryPrompt(exchange)))
            let summary = completion.content.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !summary.isEmpty else {
                logger.warning("the model gave an empty turn summary", metadata: ["context": "\(exchange.context)"])
                return
            }
            _ = try await service.remember(
                String(summary.prefix(1000)), source: "turn-summary", metadata: metadata, in: exchange.context)
        }
    }

    /// The request for a summary: the exchange, each side capped.
    static func summaryPrompt(_ exchange: Exchange) -> [ChatMessage] {
        [
            ChatMessage(
                role: .system,
                content: "Summarise this exchange in one or two sentences, keeping facts, names, decisions and numbers "
                    + "worth remembering later. Reply with the summary only."),
            ChatMessage(
                role: .user,
                content: "User: \(exchange.input.prefix(4000))\n\nAssistant: \(exchange.answer.prefix(4000))"),
        ]
    }

    static func metadata(_ exchange: Exchange) -> JSONValue {
        var object: [String: JSONValue] = ["user": .string(exchange.user.rawValue)]
        if let conversation = exchange.conversation { object["conversation"] = .string(conversation.rawValue) }
        return .object(object)
    }
}
