package import Foundation
package import HTTPTypes
package import Hummingbird
package import Logging
package import TernAgent
package import TernCore

/// The agent API: `POST /v1/agent` (JSON answer with steps and usage, or typed SSE events with
/// `Accept: text/event-stream`) and human approvals: `GET /v1/approvals` (pending in the
/// caller's context) and `POST /v1/approvals/{id}` (`{"decision": "approve"|"deny"}`).
/// Approvals are scoped to the context the caller resolved to (membership checked by
/// identity resolution), so only members of that context can see or decide them.
package struct AgentController: Sendable {
    /// The `platform` of conversations started through the agent API.
    package static let platform = "agent"

    let turns: TurnGateway
    let connections: ConnectionWatch

    package init(turns: TurnGateway, connections: ConnectionWatch) {
        self.turns = turns
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
        let wantsStream = request.headers[.accept]?.contains("text/event-stream") ?? false
        var turnRequest = TurnRequest(
            caller: .resolved(identity),
            conversation: ConversationAddress(platform: Self.platform) { caller in
                "\(caller.context.rawValue)/\(caller.user.id.rawValue)/\(conversationKey)"
            },
            kind: .message(input))
        turnRequest.keepAlive = wantsStream ? connections.limits.keepAlive : nil
        let turn = try await turns.start(turnRequest)
        let release = connections.cancelOnHangUp(turn, connection: context.connection)
        if wantsStream {
            return try await AgentEventStream.response(
                turn, conversationKey: conversationKey, logger: context.logger, release: release)
        }
        defer { release() }
        var summary = AgentEventStream.Summary()
        do {
            for try await event in turn.events { summary.add(event) }
        } catch is CancellationError {
            // The client hung up and the partial answer is stored; nobody reads this response.
        }
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
        let decided = try await turns.agent.decideApproval(
            id, approve: decision == "approve", by: identity.user.id, in: identity.context,
            reason: try body.optionalString("reason"))
        return try Self.json(.ok, AgentEventStream.json(decided))
    }

    private func approvalCenter() throws -> ApprovalCenter {
        guard let approvals = turns.agent.approvals else {
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
