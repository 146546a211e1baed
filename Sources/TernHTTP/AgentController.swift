import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TernAgent
import TernCore

/// The agent API: `POST /v1/agent` (JSON answer with steps and usage, or typed SSE events with
/// `Accept: text/event-stream`) and human approvals: `GET /v1/approvals` (pending in the
/// caller's context) and `POST /v1/approvals/{id}` (`{"decision": "approve"|"deny"}`).
/// Approvals are scoped to the context the caller resolved to (membership checked by
/// identity resolution), so only members of that context can see or decide them.
package struct AgentController: Sendable {
    /// The `platform` of conversations started through the agent API.
    package static let platform = "agent"

    let store: any ConversationStore
    let agent: AgentService
    let connections: ConnectionWatch

    package init(store: any ConversationStore, agent: AgentService, connections: ConnectionWatch) {
        self.store = store
        self.agent = agent
        self.connections = connections
    }

    package func addRoutes(to group: RouterGroup<TernRequestContext>) {
        group.post("agent", use: run)
        group.get("approvals", use: listApprovals)
        group.post("approvals/:id", use: decideApproval)
    }

    @Sendable func run(_ request: Request, context: TernRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let body = try await JSONBody.read(request, context: context)
        let input = try body.string("input")
        guard !input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.invalid("'input' must not be empty", param: "input")
        }
        let conversationKey = try body.optionalString("conversation_id") ?? UUID().uuidString.lowercased()
        guard (1...256).contains(conversationKey.utf8.count),
            conversationKey.unicodeScalars.allSatisfy({ (0x21...0x7e).contains($0.value) })
        else {
            throw APIError.invalid("'conversation_id' must be 1 to 256 visible ASCII characters", param: "conversation_id")
        }
        let (conversation, session) = try await store.openSession(
            in: identity.context, platform: Self.platform,
            platformID: "\(identity.context.rawValue)/\(identity.user.id.rawValue)/\(conversationKey)")
        let turn = AgentTurn(
            context: identity.context, user: identity.user.id, conversation: conversation.id, session: session.id,
            input: input, role: identity.role)
        let events = CancellableEvents(agent.run(turn))
        let watch = connections.onClientGone(context.connection) { events.cancel() }
        let release: @Sendable () -> Void = { [connections, connection = context.connection] in
            connections.forget(connection, watch)
        }
        let wantsStream = request.headers[.accept]?.contains("text/event-stream") ?? false
        if wantsStream {
            return try await AgentEventStream.response(
                events, conversationKey: conversationKey, logger: context.logger, limits: connections.limits,
                release: release)
        }
        defer { release() }
        var summary = AgentEventStream.Summary()
        while let event = try await events.next() { summary.add(event) }
        return try Self.json(.ok, summary.done(conversationKey: conversationKey))
    }

    @Sendable func listApprovals(_ request: Request, context: TernRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let pending = try await approvalCenter().pending(in: identity.context)
        return try Self.json(.ok, ["data": .array(pending.map(AgentEventStream.json))])
    }

    @Sendable func decideApproval(_ request: Request, context: TernRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = ApprovalID(try context.parameters.require("id"))
        let body = try await JSONBody.read(request, context: context)
        let decision = try body.string("decision")
        guard decision == "approve" || decision == "deny" else {
            throw APIError.invalid("'decision' must be \"approve\" or \"deny\", got \"\(decision)\"", param: "decision")
        }
        _ = try approvalCenter()
        let decided = try await agent.decideApproval(
            id, approve: decision == "approve", by: identity.user.id, in: identity.context,
            reason: try body.optionalString("reason"))
        return try Self.json(.ok, AgentEventStream.json(decided))
    }

    private func approvalCenter() throws -> ApprovalCenter {
        guard let approvals = agent.approvals else {
            throw APIError(
                status: .serviceUnavailable, message: "approvals are not enabled on this server", type: "server_error")
        }
        return approvals
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: value.jsonText)))
    }
}
