import Foundation
package import TernCore

/// The one way into a turn, for every channel (the OpenAI API, the agent API, Telegram, the
/// terminal): resolve the caller through the ``IdentityResolver``, open the conversation and its
/// current session in one query (with the stored thread, when the client resends its own to be
/// compared), run the agent (which stores the user message before any model
/// call and the answer after it, partial when cut short), and hand back a ``Turn``. Channels
/// only translate their medium into a ``TurnRequest`` and the events back.
package struct TurnGateway: Sendable {
    /// The one resolver of every channel's callers.
    package let identity: IdentityResolver
    /// The agent turns run on; channels also decide approvals and list tools through it.
    package let agent: AgentService
    let store: any ConversationStore

    package init(identity: IdentityResolver, store: any ConversationStore, agent: AgentService) {
        self.identity = identity
        self.store = store
        self.agent = agent
    }

    /// Starts a turn. Throws before anything is stored when the caller is refused
    /// (``IdentityError``) or the conversation cannot be opened; every later failure ends the
    /// turn's events instead.
    package func start(_ request: TurnRequest) async throws -> Turn {
        let caller = try await resolve(request.caller)
        let platformID = request.conversation.platformID(caller)
        switch request.kind {
        case .task(let messages, let namedConversation):
            // Only a conversation the client named is looked up; a task call never makes one up.
            let conversation =
                namedConversation
                ? try await store.conversation(
                    in: caller.context, platform: request.conversation.platform, platformID: platformID
                ).id : nil
            let call = TaskCall(
                context: caller.context, conversation: conversation, messages: messages, sampling: request.sampling)
            return Self.launch(caller, conversation: conversation, session: nil, keepAlive: request.keepAlive) {
                agent.answerTask(call, output: $0)
            }
        case .message, .toolResults:
            // A new conversation's user message is stored with it, in one commit.
            var firstMessage: String?
            if case .message(let text) = request.kind { firstMessage = text }
            // A client that resends its thread has it compared with the stored one
            // (``AgentService/reconcile(_:)``): that outline is read in the same query.
            let comparesThread = firstMessage != nil && request.resendsThread && request.priorMessages != nil
            let opened = try await store.openSession(
                in: caller.context, platform: request.conversation.platform, platformID: platformID,
                firstMessage: firstMessage, outlineLimit: comparesThread ? AgentService.reconcileWindow : 0)
            let turn = request.agentTurn(caller, opened)
            return Self.launch(
                caller, conversation: opened.conversation.id, session: opened.session.id, keepAlive: request.keepAlive
            ) {
                agent.start(turn, output: $0)
            }
        }
    }

    /// Who the caller is, through the one resolver unless the channel's edge already resolved it.
    package func resolve(_ caller: TurnCaller) async throws -> ResolvedIdentity {
        switch caller {
        case .resolved(let identity): identity
        case .claim(let claim): try await identity.resolve(claim)
        }
    }

    /// Starts a new session of the caller's conversation (`/new`): later turns see none of the
    /// earlier messages.
    package func startSession(for caller: TurnCaller, in address: ConversationAddress) async throws -> Session {
        let identity = try await resolve(caller)
        let conversation = try await store.conversation(
            in: identity.context, platform: address.platform, platformID: address.platformID(identity))
        return try await store.startSession(of: conversation.id, in: identity.context)
    }

    /// Wires the agent's output straight into the channel's stream (plus the keep-alive ticks)
    /// and starts the work.
    private static func launch(
        _ identity: ResolvedIdentity, conversation: ConversationID?, session: SessionID?, keepAlive: KeepAlive?,
        work: (TurnOutput) -> Task<Void, Never>
    ) -> Turn {
        let (items, continuation) = AsyncThrowingStream.makeStream(of: TurnItem.self)
        let ticker = keepAlive.map { keepAlive in
            KeepAliveTicker(keepAlive) {
                if case .terminated = continuation.yield(.quiet) { return false }
                return true
            }
        }
        let control = TurnControl(ticker: ticker)
        // Set before the work starts, so even a turn that ends at once stops its ticker.
        continuation.onTermination = { _ in control.cancel() }
        let output: TurnOutput
        if let ticker {
            output = TurnOutput(
                yield: { event in
                    ticker.heard()
                    continuation.yield(.event(event))
                }, finish: { continuation.finish(throwing: $0) })
            ticker.start()
        } else {
            output = TurnOutput(yield: { continuation.yield(.event($0)) }, finish: { continuation.finish(throwing: $0) })
        }
        control.attach(work(output))
        return Turn(identity: identity, conversation: conversation, session: session, items: items, control: control)
    }
}
