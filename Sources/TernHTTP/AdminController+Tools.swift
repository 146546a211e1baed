import Foundation
import Hummingbird
import TernAgent
import TernCore

extension AdminController {
    /// `GET contexts/{id}/tools`: every tool with its permission in the context.
    @Sendable func listTools(_ request: Request, context: TernRequestContext) async throws -> Response {
        let id = try await existingContext(context, for: .configure)
        let tools = try await agent.toolStatus(in: id)
        return try json(.ok, ["data": .array(tools.map(Self.json))])
    }

    /// `PUT contexts/{id}/tools/{tool}` with `{"permission": "allow"|"deny"}`.
    @Sendable func setToolPermission(_ request: Request, context: TernRequestContext) async throws -> Response {
        let id = try await existingContext(context, for: .configure)
        let tool = try context.parameters.require("tool")
        let body = try await JSONBody.read(request, context: context)
        guard let permission = try body.optionalEnum("permission", ToolPermission.self) else {
            throw APIError.invalid("'permission' is required (allow or deny)", param: "permission")
        }
        try await requireHostIfDangerous(tool, in: id, context)
        try await agent.setToolPermission(permission, for: tool, in: id)
        return try json(.ok, try await status(of: tool, in: id))
    }

    /// `DELETE contexts/{id}/tools/{tool}`: back to the configured default.
    @Sendable func resetToolPermission(_ request: Request, context: TernRequestContext) async throws -> Response {
        let id = try await existingContext(context, for: .configure)
        let tool = try context.parameters.require("tool")
        try await requireHostIfDangerous(tool, in: id, context)
        try await agent.setToolPermission(nil, for: tool, in: id)
        return try json(.ok, try await status(of: tool, in: id))
    }

    /// A dangerous tool's permission is an admin's to change (an owner could approve its calls).
    private func requireHostIfDangerous(_ tool: String, in id: ContextID, _ context: TernRequestContext) async throws {
        if try await agent.toolStatus(in: id).contains(where: { $0.spec.name == tool && $0.spec.risk == .dangerous }) {
            try await scope(of: context).require(id, for: .configureHost)
        }
    }

    private func status(of tool: String, in context: ContextID) async throws -> JSONValue {
        guard let status = try await agent.toolStatus(in: context).first(where: { $0.spec.name == tool }) else {
            throw APIError(status: .notFound, message: "no tool '\(tool)'", code: "not_found")
        }
        return Self.json(status)
    }

    static func json(_ status: ToolStatus) -> JSONValue {
        [
            "name": .string(status.spec.name), "description": .string(status.spec.description),
            "risk": .string(status.spec.risk.rawValue), "permission": .string(status.permission.rawValue),
            "source": status.isExplicit ? "context" : "default", "needs_approval": .bool(status.needsApproval),
            "input_schema": status.spec.inputSchema,
        ]
    }
}
