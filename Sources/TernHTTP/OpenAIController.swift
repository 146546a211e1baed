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

    @Sendable func listModels(_ request: Request, context: TernRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let created = Int(clock.now().timeIntervalSince1970)
        let contexts = try await identity.contexts(for: caller)
        let list = OpenAIWire.ModelList(
            data: [.init(id: Self.agentModel, created: created)]
                + contexts.map { .init(id: "\(Self.agentModel)/\($0.contextName)", created: created) })
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
        let headerID = try conversationID(from: request)
        let renderer = ProgressRenderer(verbosity: try Self.verbosity(from: request))
        let conversation = try await store.conversation(
            in: identity.context, platform: ConversationKey.platform,
            platformID: ConversationKey.platformID(
                context: identity.context, caller: identity.user.id, headerID: headerID, user: chat.user,
                messages: chat.messages))
        let session = try await store.currentSession(of: conversation.id, in: identity.context)
        let turn = AgentTurn(
            context: identity.context, user: identity.user.id, conversation: conversation.id,
            session: session.id, input: chat.messages.last?.content ?? "",
            priorMessages: Array(chat.messages.dropLast()))
        // A client that hangs up cancels the turn (and with it the upstream call) at once.
        let events = CancellableEvents(agent.run(turn))
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
        while let event = try await events.next() {
            switch event {
            case .content(let text): content += text
            case .usage(let reported): usage = reported
            case .finished(_, let reason): finishReason = reason
            default: if let line = renderer.line(for: event) { content += line }
            }
        }
        let completion = OpenAIWire.Completion(
            id: meta.id, created: meta.created, model: meta.model,
            choices: [.init(message: .init(content: content), finishReason: finishReason)],
            usage: usage.map(OpenAIWire.Usage.init))
        return try jsonResponse(completion)
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
