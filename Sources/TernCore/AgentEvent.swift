import Foundation

/// What the agent emits while it works on a turn. Every channel consumes this one stream and
/// renders it for its medium; channels never call models or tools themselves.
package enum AgentEvent: Sendable, Equatable {
    /// A piece of the answer text, in order.
    case content(String)
    /// Token usage of the turn, when the model reported it.
    case usage(TokenUsage)
    /// The turn ended; the assistant message is stored under `messageID`.
    case finished(messageID: MessageID, finishReason: String)
}

/// One user turn handed to the agent.
package struct AgentTurn: Sendable {
    package var context: ContextID
    package var user: UserID
    package var conversation: ConversationID
    package var session: SessionID
    /// The new user message; the agent stores it before any model call.
    package var input: String
    /// Messages the client sent before `input` (OpenAI clients send the whole thread each time).
    /// `nil` means the agent loads the session's stored history instead.
    package var priorMessages: [ChatMessage]?

    package init(
        context: ContextID, user: UserID, conversation: ConversationID, session: SessionID,
        input: String, priorMessages: [ChatMessage]? = nil
    ) {
        self.context = context
        self.user = user
        self.conversation = conversation
        self.session = session
        self.input = input
        self.priorMessages = priorMessages
    }
}
