import Foundation
package import TernCore

/// Who asks for a turn, as the channel found them.
package enum TurnCaller: Sendable {
    /// A claim the gateway resolves through the ``IdentityResolver``.
    case claim(IdentityClaim)
    /// Already resolved through the same resolver at the channel's edge: the HTTP API resolves
    /// every request before its rate limits and routes (``IdentityClaim/bearer(_:forwarded:contextName:)``).
    case resolved(ResolvedIdentity)
}

/// Where a channel's conversation is stored: `(platform, platform_id)`, unique.
package struct ConversationAddress: Sendable {
    /// The channel (`openai`, `agent`, `telegram`, `cli`).
    package var platform: String
    /// The platform id for the resolved caller; channels namespace it by context (and caller) so
    /// two tenants using the same name never share a conversation.
    package var platformID: @Sendable (ResolvedIdentity) -> String

    package init(platform: String, platformID: @escaping @Sendable (ResolvedIdentity) -> String) {
        self.platform = platform
        self.platformID = platformID
    }
}

/// One turn, as a channel asks for it.
package struct TurnRequest: Sendable {
    /// What the turn is.
    package enum Kind: Sendable {
        /// A new user message.
        case message(String)
        /// The results of the client's tool calls (role `tool`), continuing a turn that ended
        /// with ``AgentEvent/clientToolCalls(_:)``; there is no new user message.
        case toolResults([ChatMessage])
        /// A front end's background task (``TaskCall``): a plain model call, stored nowhere.
        /// The conversation is only looked up when the client named it (`namedConversation`).
        case task([ChatMessage], namedConversation: Bool)
    }

    package var caller: TurnCaller
    package var conversation: ConversationAddress
    package var kind: Kind
    /// The thread the client sent before this turn (OpenAI clients resend it every time);
    /// `nil` makes the agent read the stored history.
    package var priorMessages: [ChatMessage]?
    /// The client resends the whole thread each turn: a rewound thread (an edit, a regenerate)
    /// supersedes the stored tail (see ``AgentTurn/resendsThread``).
    package var resendsThread = false
    /// Tools the client offers and runs itself (OpenAI `tools`).
    package var clientTools: [ToolDefinition] = []
    package var toolChoice: ToolChoice?
    package var sampling = SamplingParameters()
    /// Ticks while the turn is silent (SSE channels); `nil` for none.
    package var keepAlive: KeepAlive?

    package init(caller: TurnCaller, conversation: ConversationAddress, kind: Kind) {
        self.caller = caller
        self.conversation = conversation
        self.kind = kind
    }

    /// The agent's turn in the opened session.
    func agentTurn(_ caller: ResolvedIdentity, _ opened: OpenedSession) -> AgentTurn {
        var input = ""
        var toolResults: [ChatMessage] = []
        switch kind {
        case .message(let text): input = text
        case .toolResults(let results): toolResults = results
        case .task: break
        }
        var turn = AgentTurn(
            context: caller.context, user: caller.user.id, conversation: opened.conversation.id,
            session: opened.session.id, input: input, priorMessages: priorMessages, clientTools: clientTools,
            toolChoice: toolChoice, sampling: sampling, toolResults: toolResults, resendsThread: resendsThread,
            role: caller.role)
        turn.sessionIsNew = opened.isNew
        turn.inputStored = opened.firstMessage != nil
        turn.storedOutline = opened.outline
        return turn
    }
}
