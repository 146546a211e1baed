import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TernAgent
import TernCore

/// The OpenAI-compatible API: `GET /v1/models`, `POST /v1/chat/completions`.
package struct OpenAIController: Sendable {
    /// The model id of the agent, as listed by `/v1/models`.
    package static let agentModel = "tern"
    /// The header a client sets to name its conversation.
    package static let conversationHeader = HTTPField.Name("X-Tern-Conversation-Id")!

    let store: any ConversationStore
    let agent: AgentService
    let identity: IdentityResolver
    let connections: ConnectionWatch
    let clock: any WallClock

    package init(
        store: any ConversationStore, agent: AgentService, identity: IdentityResolver, connections: ConnectionWatch,
        clock: any WallClock = SystemWallClock()
    ) {
        self.store = store
        self.agent = agent
        self.identity = identity
        self.connections = connections
        self.clock = clock
    }

    package func addRoutes(to group: RouterGroup<TernRequestContext>) {
        group.get("models", use: listModels)
        group.post("chat/completions", use: chatCompletions)
    }

    /// `tern` (the caller's default context) and `tern/<name>` for each shared context of the
    /// caller. Personal contexts are not listed: front ends such as Open WebUI keep one model
    /// list for all their users, and `tern` already means each user's own context.
    @Sendable func listModels(_ request: Request, context: TernRequestContext) async throws -> Response {
        let created = Int(clock.now().timeIntervalSince1970)
        if context.unidentifiedProxy {
            return try jsonResponse(OpenAIWire.ModelList(data: [.init(id: Self.agentModel, created: created)]))
        }
        let caller = try context.requireIdentity()
        let shared = try await identity.contexts(for: caller).filter { $0.contextKind == .shared }
        let list = OpenAIWire.ModelList(
            data: [.init(id: Self.agentModel, created: created)]
                + shared.map { .init(id: "\(Self.agentModel)/\($0.contextName)", created: created) })
        return try jsonResponse(list)
    }

    @Sendable func chatCompletions(_ request: Request, context: TernRequestContext) async throws -> Response {
        var identity = try context.requireIdentity()
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let chat = try ChatCompletionRequest.parse(Data(buffer: buffer))
        if chat.model.hasPrefix(Self.agentModel + "/") {
            // `tern/<context>` picks the context, like `X-Tern-Context`.
            let name = String(chat.model.dropFirst(Self.agentModel.count + 1))
            do {
                identity = try await self.identity.switchContext(identity, to: name)
            } catch let error as IdentityError {
                throw APIError(error)
            }
        } else if chat.model != Self.agentModel {
            throw APIError(
                status: .notFound,
                message: "the model '\(chat.model)' does not exist; GET /v1/models lists the models Tern serves",
                param: "model", code: "model_not_found")
        }
        try await context.rateAdmission?.admit(identity)
        let headerID = try conversationID(from: request)
        let renderer = ProgressRenderer(verbosity: try Self.verbosity(from: request))
        let key = ConversationKey.platformID(
            context: identity.context, caller: identity.user.id, headerID: headerID, chatID: context.forwardedChatID,
            user: chat.user, messages: chat.messages)
        let eventStream: AsyncThrowingStream<AgentEvent, any Error>
        if TaskCall.isTask(chat.messages) {
            eventStream = try await taskEvents(chat, identity: identity, key: key, named: headerID ?? context.forwardedChatID)
        } else {
            eventStream = try await turnEvents(chat, identity: identity, key: key, chatID: context.forwardedChatID)
        }
        // A client that hangs up cancels the turn (and with it the upstream call) at once.
        let events = CancellableEvents(eventStream)
        let watch = connections.onClientGone(context.connection) { events.cancel() }
        let release: @Sendable () -> Void = { [connections, connection = context.connection] in
            connections.forget(connection, watch)
        }
        let meta = ResponseMeta(
            id: "chatcmpl-\(UUID().uuidString.lowercased())",
            created: Int(clock.now().timeIntervalSince1970), model: chat.model)
        if chat.stream {
            return try await streamed(
                events, meta: meta, includeUsage: chat.includeUsage, renderer: renderer, logger: context.logger,
                release: release)
        }
        defer { release() }
        return try await collected(events, meta: meta, renderer: renderer)
    }

    /// A chat turn, or the continuation of one after the client ran its tools.
    private func turnEvents(
        _ chat: ChatCompletionRequest, identity: ResolvedIdentity, key: String, chatID: String?
    ) async throws -> AsyncThrowingStream<AgentEvent, any Error> {
        let (conversation, session) = try await store.openSession(
            in: identity.context, platform: ConversationKey.platform, platformID: key)
        let results = chat.trailingToolResults
        let prior = Array(chat.messages.dropLast(results.isEmpty ? 1 : results.count))
        let turn = AgentTurn(
            context: identity.context, user: identity.user.id, conversation: conversation.id,
            session: session.id, input: results.isEmpty ? chat.messages.last?.content ?? "" : "",
            priorMessages: prior, clientTools: chat.tools, toolChoice: chat.toolChoice, sampling: chat.sampling,
            toolResults: results, resendsThread: chatID != nil || prior.contains { $0.role == .user },
            role: identity.role)
        return agent.run(turn)
    }

    /// A front end's background task (`### Task:`): a plain model call, stored nowhere but in
    /// the context's usage.
    private func taskEvents(
        _ chat: ChatCompletionRequest, identity: ResolvedIdentity, key: String, named: String?
    ) async throws -> AsyncThrowingStream<AgentEvent, any Error> {
        // Only a conversation the client named is looked up; a task call never creates one from
        // the task prompt's fingerprint.
        var conversation: ConversationID?
        if named != nil {
            conversation = try await store.conversation(
                in: identity.context, platform: ConversationKey.platform, platformID: key
            ).id
        }
        return agent.answerTask(
            TaskCall(context: identity.context, conversation: conversation, messages: chat.messages, sampling: chat.sampling))
    }

    /// The header that picks how much progress an OpenAI client sees.
    package static let verbosityHeader = HTTPField.Name("X-Tern-Verbosity")!

    static func verbosity(from request: Request) throws -> Verbosity {
        guard let value = request.headers[verbosityHeader] else { return .default }
        guard let verbosity = Verbosity(rawValue: value.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw APIError(
                status: .badRequest,
                message: "X-Tern-Verbosity must be one of "
                    + Verbosity.allCases.map(\.rawValue).joined(separator: ", ") + "; got '\(value)'",
                param: "X-Tern-Verbosity")
        }
        return verbosity
    }

    private func conversationID(from request: Request) throws -> String? {
        guard let value = request.headers[Self.conversationHeader] else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard (1...256).contains(trimmed.count),
            trimmed.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value < 0x7f })
        else {
            throw APIError.invalid(
                "X-Tern-Conversation-Id must be 1 to 256 visible ASCII characters",
                param: "X-Tern-Conversation-Id")
        }
        return trimmed
    }

    private func collected(
        _ events: CancellableEvents, meta: ResponseMeta, renderer: ProgressRenderer
    ) async throws -> Response {
        var content = ""
        var usage: TokenUsage?
        var finishReason = "stop"
        var toolCalls: [ToolCall] = []
        while let event = try await events.next() {
            switch event {
            case .content(let text): content += text
            case .usage(let reported): usage = reported
            case .clientToolCalls(let calls): toolCalls += calls
            case .finished(_, let reason): finishReason = reason
            default: if let line = renderer.line(for: event) { content += line }
            }
        }
        let message = OpenAIWire.Completion.Choice.Message(
            content: content.isEmpty && !toolCalls.isEmpty ? nil : content,
            toolCalls: toolCalls.isEmpty ? nil : toolCalls.map { OpenAIWire.ToolCallWire($0) })
        let completion = OpenAIWire.Completion(
            id: meta.id, created: meta.created, model: meta.model,
            choices: [.init(message: message, finishReason: finishReason)],
            usage: usage.map(OpenAIWire.Usage.init))
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: completion.jsonBytes)))
    }

    private func jsonResponse(_ value: some Encodable) throws -> Response {
        let data = try JSONEncoder.tern.encode(value)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}

/// Fields every chunk of one answer repeats.
struct ResponseMeta: Sendable {
    var id: String
    var created: Int
    var model: String
}
