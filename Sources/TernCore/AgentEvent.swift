import Foundation

/// What the agent emits while it works on a turn. Every channel consumes this one stream and
/// renders it for its medium; channels never call models or tools themselves.
package enum AgentEvent: Sendable, Equatable {
    /// A piece of the answer text, in order.
    case content(String)
    /// Token usage of the turn, when the model reported it.
    case usage(TokenUsage)
    /// The router's decision for the turn.
    case routed(AgentRoute)
    /// Something the user should know that is not part of the answer (a fallback, a replan).
    case notice(String)
    /// The plan about to run (again after a replan).
    case plan(Plan)
    /// A plan step started (`attempt` counts from 1).
    case stepStarted(StepEvent)
    /// A plan step ended, with its output or error.
    case stepFinished(StepEvent)
    /// The agent calls a tool.
    case toolCall(ToolCallEvent)
    /// A tool call returned (or was refused).
    case toolResult(ToolResultEvent)
    /// A tool call waits for a human; decide with `/approve <id>` or `/deny <id>`.
    case approvalRequired(Approval)
    /// A human (or the clock) decided.
    case approvalDecided(Approval)
    /// The model called tools the client offered (OpenAI `tools` in the request); the client
    /// runs them and continues the turn by sending the results. Always followed by `finished`
    /// with `tool_calls`. Names are the client's own (any clash rename undone).
    case clientToolCalls([ToolCall])
    /// The turn ended; the assistant message is stored under `messageID` (`nil` for a task call,
    /// which stores no message).
    case finished(messageID: MessageID?, finishReason: String)
}

/// How the router chose to handle a turn.
package enum AgentRoute: Sendable, Equatable {
    /// Answer directly (with the context's tools on offer).
    case direct
    /// Run a plan.
    case plan
    /// Run the named skill.
    case skill(String)
    /// The router's reply was unusable; answering directly.
    case fallback(reason: String)
}

/// A plan step starting or ending.
package struct StepEvent: Sendable, Equatable {
    package var stepID: PlanStep.ID
    /// `tool`, `skill` or `answer`, with the name: `tool clock`.
    package var title: String
    package var attempt: Int
    /// The step's output once it succeeded.
    package var output: String?
    /// Why it failed, when it did.
    package var error: String?

    package init(stepID: PlanStep.ID, title: String, attempt: Int, output: String? = nil, error: String? = nil) {
        self.stepID = stepID
        self.title = title
        self.attempt = attempt
        self.output = output
        self.error = error
    }
}

/// A tool call the agent makes.
package struct ToolCallEvent: Sendable, Equatable, Codable {
    package var callID: String
    package var tool: String
    /// Arguments as JSON text.
    package var arguments: String
    /// The plan step making the call, if any.
    package var stepID: PlanStep.ID?

    package init(callID: String, tool: String, arguments: String, stepID: PlanStep.ID? = nil) {
        self.callID = callID
        self.tool = tool
        self.arguments = arguments
        self.stepID = stepID
    }
}

/// What a tool call returned, as the model sees it.
package struct ToolResultEvent: Sendable, Equatable, Codable {
    package var callID: String
    package var tool: String
    package var output: String
    package var isError: Bool
    /// The output was cut to the configured budget (the note is in `output`).
    package var truncated: Bool
    package var stepID: PlanStep.ID?

    package init(
        callID: String, tool: String, output: String, isError: Bool, truncated: Bool = false,
        stepID: PlanStep.ID? = nil
    ) {
        self.callID = callID
        self.tool = tool
        self.output = output
        self.isError = isError
        self.truncated = truncated
        self.stepID = stepID
    }
}

/// One user turn handed to the agent.
package struct AgentTurn: Sendable {
    package var context: ContextID
    package var user: UserID
    package var conversation: ConversationID
    package var session: SessionID
    /// The new user message; the agent stores it before any model call. Empty when the turn
    /// continues with ``toolResults``.
    package var input: String
    /// Messages the client sent before `input` (OpenAI clients send the whole thread each time).
    /// `nil` means the agent loads the session's stored history instead.
    package var priorMessages: [ChatMessage]?
    /// Tools the client offers (OpenAI `tools`); the client runs them, not Tern.
    package var clientTools: [ToolDefinition]
    /// The client's `tool_choice`; it applies to the turn's first model call.
    package var toolChoice: ToolChoice?
    /// The client's sampling parameters for the answer.
    package var sampling: SamplingParameters
    /// The results of client tool calls (role `tool`) that continue a turn which ended with
    /// ``AgentEvent/clientToolCalls(_:)``. When set, there is no new user message.
    package var toolResults: [ChatMessage]
    /// The client sends the whole thread every turn (Open WebUI, most OpenAI clients): a thread
    /// that rewinds what is stored (an edited or regenerated message) supersedes the stored tail
    /// instead of adding to it.
    package var resendsThread: Bool
    /// The caller's role in ``context`` as the channel just resolved it; `nil` makes the agent
    /// look it up. Checked again whenever memberships change during the turn.
    package var role: MemberRole?
    /// The store made ``session`` for this turn, so it holds no messages yet: the agent reads
    /// no history (there is none to send or to compare with the client's thread).
    package var sessionIsNew = false
    /// The store already holds ``input`` (it was stored with the new session, in the same
    /// commit), so the agent does not append it again.
    package var inputStored = false
    /// The session's stored thread (``ConversationStore/outline(of:in:limit:)``) as read with the
    /// session when the turn was opened, for comparing with ``priorMessages``; `nil` makes the
    /// agent read it.
    package var storedOutline: [MessageOutline]?

    package init(
        context: ContextID, user: UserID, conversation: ConversationID, session: SessionID,
        input: String, priorMessages: [ChatMessage]? = nil, clientTools: [ToolDefinition] = [],
        toolChoice: ToolChoice? = nil, sampling: SamplingParameters = SamplingParameters(),
        toolResults: [ChatMessage] = [], resendsThread: Bool = false, role: MemberRole? = nil
    ) {
        self.role = role
        self.resendsThread = resendsThread
        self.context = context
        self.user = user
        self.conversation = conversation
        self.session = session
        self.input = input
        self.priorMessages = priorMessages
        self.clientTools = clientTools
        self.toolChoice = toolChoice
        self.sampling = sampling
        self.toolResults = toolResults
    }
}
