import Foundation
package import Logging
package import TernCore
package import TernMemory

/// The orchestrator every channel talks to: one turn in, one stream of ``AgentEvent``s out.
///
/// A turn: store the user message, handle chat commands (`/approve`, `/deny`, `/<skill>`), load
/// the context's toolbox and skills, let the ``Router`` decide, then answer directly (native
/// tool loop), run a skill (tool loop under the skill's ceiling) or run a plan (DAG under the
/// ``StepSupervisor``, then the answer step). The assistant message is stored with a trace of
/// everything the agent did and the summed usage.
package struct AgentService: Sendable {
    let store: any ConversationStore
    let model: any ModelProvider
    let settings: AgentSettings
    let tooling: AgentTooling?
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void
    /// Where the usage of calls outside turns (task calls) goes; `nil` drops it.
    let usageStore: (any UsageStore)?
    /// Recall before the model call and writes after the turn; `nil`: no memory.
    let memory: TurnMemory?

    package init(
        store: any ConversationStore, model: any ModelProvider, settings: AgentSettings, tooling: AgentTooling? = nil,
        usageStore: (any UsageStore)? = nil, memory: TurnMemory? = nil, logger: Logger = Logger(label: "tern.agent"),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.usageStore = usageStore
        self.memory = memory
        self.store = store
        self.model = model
        self.settings = settings
        self.tooling = tooling
        self.logger = logger
        self.sleep = sleep
    }

    /// The approvals of this agent, for channels that decide outside a chat turn.
    package var approvals: ApprovalCenter? { tooling?.approvals }

    /// Runs one turn. The user message is stored before the model is called; the assistant
    /// message is stored when the turn ends, marked incomplete if it was cut short (the consumer
    /// cancelled, or the model failed mid-answer).
    ///
    /// Channels start turns through the ``TurnGateway``; this is its engine (and the tests').
    package func run(_ turn: AgentTurn) -> AsyncThrowingStream<AgentEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: AgentEvent.self)
        let task = start(turn, output: TurnOutput(continuation))
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Runs one turn in a task of its own, sending its events to `output`; the output is
    /// finished (with the error that ended the turn, if any) only after everything is stored,
    /// the partial answer of a cancelled turn included. Cancelling the task cancels the turn.
    func start(_ turn: AgentTurn, output: TurnOutput) -> Task<Void, Never> {
        Task {
            let recorder = TurnRecorder(output)
            do {
                try await execute(turn, recorder: recorder)
                output.finish(nil)
            } catch {
                // A cut stream's partial answer still cost tokens: store the estimate with it.
                if case ModelError.incomplete(_, _, let usage?) = error { recorder.add(usage) }
                if !recorder.answer.isEmpty || recorder.toolData() != nil {
                    await storeIncomplete(turn: turn, recorder: recorder, cause: error)
                }
                output.finish(error)
            }
        }
    }

    // An async function's frame holds the locals of everything inlined into it, and this one is
    // held for the whole turn, streaming included: the paths most turns do not take (client
    // tools, thread reconciling, chat commands, skills, plans) and the tool loop are
    // `@inline(never)` so their frames exist only while they run.
    private func execute(_ turn: AgentTurn, recorder: TurnRecorder) async throws {
        if !turn.toolResults.isEmpty {
            return try await continueAfterClientTools(turn, recorder: recorder)
        }
        // History is read before the new message is stored so it is not sent twice.
        let history = try await promptHistory(for: turn)
        if turn.resendsThread { try await reconcile(turn) }
        if !turn.inputStored {
            _ = try await store.append(
                NewMessage(sessionID: turn.session, role: .user, content: turn.input), in: turn.context)
        }
        try Task.checkCancellation()

        let command = try ChatCommand.parse(turn.input)
        if tooling != nil, let command, let reply = try await decide(command, turn: turn) {
            recorder.emit(.content(reply))
            return try await finish(turn, recorder: recorder, reason: "stop")
        }
        // Recall runs while the toolbox loads; an explicit "remember that …" is written beside the turn.
        async let recalled = recallMemory(for: turn)
        var scope = makeScope(turn, recorder: recorder)
        let toolbox = try await loadToolbox(for: turn, scope: scope)
        let skills = await tooling?.skills.skills(for: turn.context) ?? [:]
        scope.recalled = await recalled
        let runner = ToolRunner(settings: settings, approvals: tooling?.approvals, logger: logger)
        let loop = ToolLoop(model: model, runner: runner)

        if case .skill(let name, let input)? = command, let skill = skills[name] {
            recorder.emit(.routed(.skill(skill.name)))
            let outcome = try await runSkill(
                skill, input: input.isEmpty ? turn.input : input, history: history, toolbox: toolbox, stepID: nil,
                streamContent: true, loop: loop, scope: scope)
            return try await finish(turn, recorder: recorder, reason: outcome.finishReason)
        }

        // The first call answers directly, or routes the turn through a planning tool.
        let messages = baseMessages(history: history, input: turn.input, memory: scope.recalled)
        let routing = settings.routerEnabled ? Router.definitions(toolbox: toolbox, skills: skills) : []
        let client = try clientRequest(for: turn, toolbox: toolbox, routing: routing)
        var outcome = try await loop.run(
            messages, model: settings.model, toolbox: toolbox, maxTurns: settings.maxToolTurns, stepID: nil,
            streamContent: true, routing: routing, client: client, scope: scope)
        if let call = outcome.routingCall {
            switch Router.decide(call, toolbox: toolbox, skills: skills, input: turn.input) {
            case .plan(let plan):
                recorder.emit(.routed(.plan))
                outcome = try await runPlan(
                    plan, turn: turn, history: history, toolbox: toolbox, skills: skills, loop: loop, runner: runner,
                    scope: scope)
            case .skill(let skill, let input):
                recorder.emit(.routed(.skill(skill.name)))
                outcome = try await runSkill(
                    skill, input: input, history: history, toolbox: toolbox, stepID: nil, streamContent: true,
                    loop: loop, scope: scope)
            case .fallback(let reason):
                logger.warning("planning call unusable; answering directly", metadata: ["reason": "\(reason)"])
                recorder.emit(.routed(.fallback(reason: reason)))
                outcome = try await loop.run(
                    messages, model: settings.model, toolbox: toolbox, maxTurns: settings.maxToolTurns, stepID: nil,
                    streamContent: true, client: client, scope: scope)
            }
        } else if !routing.isEmpty {
            recorder.emit(.routed(.direct))
        }
        try await finish(turn, recorder: recorder, outcome: outcome)
    }

    func makeScope(_ turn: AgentTurn, recorder: TurnRecorder) -> TurnScope {
        TurnScope(
            tool: ToolContext(contextID: turn.context, userID: turn.user, conversationID: turn.conversation),
            access: ContextAccess(
                user: turn.user, context: turn.context, epoch: tooling?.epoch ?? MembershipEpoch(), known: turn.role,
                memberRole: tooling?.memberRole ?? Self.noMembership),
            recorder: recorder)
    }

    /// Ends the turn, handing client tool calls to the channel first when the loop stopped for them.
    func finish(_ turn: AgentTurn, recorder: TurnRecorder, outcome: ToolLoop.Outcome) async throws {
        if let round = outcome.clientRound { recorder.recordClientRound(round) }
        try await finish(turn, recorder: recorder, reason: outcome.finishReason)
    }

    /// Without tooling no tool is ever offered, so the membership check is never reached.
    private static let noMembership: @Sendable (UserID, ContextID) async throws -> MemberRole? = { _, _ in nil }

    func finish(_ turn: AgentTurn, recorder: TurnRecorder, reason: String) async throws {
        try Task.checkCancellation()
        let stored = try await store.append(
            NewMessage(
                sessionID: turn.session, role: .assistant, content: recorder.answer, toolData: recorder.toolData(),
                usage: recorder.usage),
            in: turn.context)
        recorder.finish(messageID: stored.id, finishReason: reason)
        memoryAfterTurn(turn, answer: recorder.answer)
    }

    /// The context's tools that the caller's role may run (a viewer is offered read tools only).
    func loadToolbox(for turn: AgentTurn, scope: TurnScope) async throws -> Toolbox {
        guard let tooling, !tooling.sources.isEmpty else { return Toolbox(context: [:]) }
        let toolbox = try await Toolbox.load(
            for: turn.context, sources: tooling.sources, permissions: tooling.permissions,
            defaultPermission: settings.defaultToolPermission)
        guard let role = try await scope.access.role() else { return Toolbox(context: [:]) }
        return toolbox.permitted(for: role)
    }

    /// System prompt (unless the client sent its own), history, the memories recalled for the
    /// message, the user's message.
    func baseMessages(history: [ChatMessage], input: String, memory: ChatMessage? = nil) -> [ChatMessage] {
        withSystemPrompt(history) + (memory.map { [$0] } ?? []) + [ChatMessage(role: .user, content: input)]
    }

    /// The configured system prompt first, unless the client sent its own.
    func withSystemPrompt(_ history: [ChatMessage]) -> [ChatMessage] {
        guard let systemPrompt = settings.systemPrompt, !history.contains(where: { $0.role == .system }) else {
            return history
        }
        return [ChatMessage(role: .system, content: systemPrompt)] + history
    }

    @inline(never)
    func runSkill(
        _ skill: Skill, input: String, history: [ChatMessage], toolbox: Toolbox, stepID: PlanStep.ID?,
        streamContent: Bool, loop: ToolLoop, scope: TurnScope
    ) async throws -> ToolLoop.Outcome {
        var messages = [ChatMessage(role: .system, content: skill.instructions)]
        messages += history.filter { $0.role != .system }
        if let recalled = scope.recalled { messages.append(recalled) }
        messages.append(ChatMessage(role: .user, content: input))
        let tools = toolbox.restricted(to: skill)
        // A skill built around one tool calls it first: named, the call is reliable even on
        // servers that offer no tools unless a call is forced (llama-cpp-python).
        var forced = ToolLoop.ClientRequest.none
        if skill.allowedTools.count == 1, let only = tools.names.first, tools.names.count == 1 {
            forced.toolChoice = .function(only)
        }
        return try await loop.run(
            messages, model: skill.model ?? settings.model, toolbox: tools,
            maxTurns: skill.maxTurns ?? settings.maxToolTurns, stepID: stepID, streamContent: streamContent,
            client: forced, scope: scope)
    }

    /// Handles `/approve` and `/deny`; returns the reply, or `nil` for a skill command.
    @inline(never)
    private func decide(_ command: ChatCommand, turn: AgentTurn) async throws -> String? {
        let id: ApprovalID
        let approve: Bool
        let reason: String?
        switch command {
        case .approve(let which, let why): (id, approve, reason) = (which, true, why)
        case .deny(let which, let why): (id, approve, reason) = (which, false, why)
        case .skill: return nil
        }
        do {
            let decided = try await decideApproval(id, approve: approve, by: turn.user, in: turn.context, reason: reason)
            return "\(approve ? "Approved" : "Denied") `\(decided.id)` (`\(decided.tool)`)."
        } catch AgentError.forbidden(let why) {
            return "You cannot decide `\(id)`: \(why)."
        } catch StoreError.notFound {
            return "There is no approval `\(id)` in this context."
        } catch StoreError.conflict(let what) {
            return "Nothing to decide: \(what)."
        }
    }

    func promptHistory(for turn: AgentTurn) async throws -> [ChatMessage] {
        if let prior = turn.priorMessages { return prior }
        if turn.sessionIsNew { return [] }
        return try await store.history(of: turn.session, in: turn.context, limit: settings.historyLimit)
            .map { ChatMessage(role: $0.role, content: $0.content) }
    }

    /// Keeps what the user already saw and what the agent did. Runs in its own task because the turn's task may be
    /// cancelled (client gone) and the write must still happen. A failure here is logged; the
    /// caller goes on to throw the error that ended the turn.
    private func storeIncomplete(turn: AgentTurn, recorder: TurnRecorder, cause: any Error) async {
        let store = self.store
        let message = NewMessage(
            sessionID: turn.session, role: .assistant, content: recorder.answer, toolData: recorder.toolData(),
            usage: recorder.usage, status: .incomplete)
        let write = Task { try await store.append(message, in: turn.context) }
        do {
            let stored = try await write.value
            logger.warning(
                cause is CancellationError
                    ? "turn cancelled by the client or user; partial answer stored"
                    : "turn ended early; partial answer stored",
                metadata: [
                    "message_id": "\(stored.id)", "context": "\(turn.context)",
                    "characters": "\(message.content.count)", "cause": "\(cause)",
                ])
        } catch {
            logger.error(
                "could not store the partial answer",
                metadata: ["context": "\(turn.context)", "error": "\(error)", "cause": "\(cause)"])
        }
    }
}
