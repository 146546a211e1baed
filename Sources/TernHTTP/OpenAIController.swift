package import Foundation
package import HTTPTypes
package import Hummingbird
package import Logging
import NIOFoundationCompat
package import TernAgent
package import TernCore

/// The OpenAI-compatible API: `GET /v1/models`, `POST /v1/chat/completions`.
package struct OpenAIController: Sendable {
    /// The model id of the agent, as listed by `/v1/models`.
    package static let agentModel = "tern"
    /// The header a client sets to name its conversation.
    package static let conversationHeader = HTTPField.Name("X-Tern-Conversation-Id")!

    let turns: TurnGateway
    let connections: ConnectionWatch
    let clock: any WallClock

    package init(turns: TurnGateway, connections: ConnectionWatch, clock: any WallClock = SystemWallClock()) {
        self.turns = turns
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
        let shared = try await turns.identity.contexts(for: caller).filter { $0.contextKind == .shared }
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
                identity = try await turns.identity.switchContext(identity, to: name)
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
        let turn = try await turns.start(
            Self.turnRequest(
                chat, identity: identity, headerID: headerID, chatID: context.forwardedChatID,
                keepAlive: chat.stream ? connections.limits.keepAlive : nil))
        // A client that hangs up cancels the turn (and with it the upstream call) at once.
        let release = connections.cancelOnHangUp(turn, connection: context.connection)
        let meta = ResponseMeta(
            id: "chatcmpl-\(UUID().uuidString.lowercased())",
            created: Int(clock.now().timeIntervalSince1970), model: chat.model)
        if chat.stream {
            return try await streamed(
                turn, meta: meta, includeUsage: chat.includeUsage, renderer: renderer, logger: context.logger,
                release: release)
        }
        defer { release() }
        return try await collected(turn, meta: meta, renderer: renderer)
    }

    /// The turn an OpenAI request asks for: a front end's background task (`### Task:`), the
    /// continuation of a turn after the client ran its tools, or a new user message; the thread
    /// before it is what the client resent.
    static func turnRequest(
        _ chat: ChatCompletionRequest, identity: ResolvedIdentity, headerID: String?, chatID: String?,
        keepAlive: KeepAlive?
    ) -> TurnRequest {
        let address = ConversationAddress(platform: ConversationKey.platform) { caller in
            ConversationKey.platformID(
                context: caller.context, caller: caller.user.id, headerID: headerID, chatID: chatID, user: chat.user,
                messages: chat.messages)
        }
        let results = chat.trailingToolResults
        let kind: TurnRequest.Kind =
            TaskCall.isTask(chat.messages)
            ? .task(chat.messages, namedConversation: (headerID ?? chatID) != nil)
            : results.isEmpty ? .message(chat.messages.last?.content ?? "") : .toolResults(results)
        var request = TurnRequest(caller: .resolved(identity), conversation: address, kind: kind)
        let prior = Array(chat.messages.dropLast(results.isEmpty ? 1 : results.count))
        request.priorMessages = prior
        request.resendsThread = chatID != nil || prior.contains { $0.role == .user }
        request.clientTools = chat.tools
        request.toolChoice = chat.toolChoice
        request.sampling = chat.sampling
        request.keepAlive = keepAlive
        return request
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

    private func collected(_ turn: Turn, meta: ResponseMeta, renderer: ProgressRenderer) async throws -> Response {
        var content = ""
        var usage: TokenUsage?
        var finishReason = "stop"
        var toolCalls: [ToolCall] = []
        do {
            for try await event in turn.events {
                switch event {
                case .content(let text): content += text
                case .usage(let reported): usage = reported
                case .clientToolCalls(let calls): toolCalls += calls
                case .finished(_, let reason): finishReason = reason
                default: if let line = renderer.line(for: event) { content += line }
                }
            }
        } catch is CancellationError {
            // The client hung up and the partial answer is stored; nobody reads this response.
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
