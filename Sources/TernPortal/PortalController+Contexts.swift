import Foundation
import Hummingbird
import TernAgent
import TernCore
import TernHTTP

extension PortalController {
    func addContextRoutes(to router: Router<TernRequestContext>) {
        router.get("admin/contexts", use: contextList)
        router.post("admin/contexts", use: createContext)
        router.get("admin/contexts/:id", use: contextDetail)
        router.post("admin/contexts/:id/members", use: addMember)
        router.post("admin/contexts/:id/members/:user/role", use: changeMemberRole)
        router.post("admin/contexts/:id/members/:user/remove", use: removeMember)
    }

    /// `GET /admin/contexts?q=&cursor=`: by name, keyset pages, counts in the same statement.
    @Sendable func contextList(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            let query = request.formQuery
            let search = query["q"]?.trimmingCharacters(in: .whitespaces) ?? ""
            let found = try await portal.queries.contexts(
                visit.scope, search: search, after: query["cursor"], limit: 50)
            return PortalPage.render(
                "contexts", title: "Contexts",
                model: ContextsModel(found, search: search, canCreate: visit.refusal(.administer) == nil), visit: visit,
                section: "Contexts")
        }
    }

    /// `POST /admin/contexts` (name, kind; idempotent): admins; the creator becomes its owner.
    @Sendable func createContext(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, form in
            try visit.require(.administer)
            let name = try form.require("name", label: "The context's name").lowercased()
            if let problem = ContextName.problem(with: name) { throw PortalFailure.invalid("The context name \(problem).") }
            let kind = form.value("kind").map { ContextKind(rawValue: $0) } ?? .shared
            guard let kind else { throw PortalFailure.invalid("Kind must be shared or personal.") }
            return try await once(visit, form) {
                let created = try await tenants.createContext(name: name, kind: kind, owner: visit.user.id)
                await audit(
                    visit, request, context, action: "context.create", object: ("context", created.id.rawValue),
                    in: created.id, after: ["name": .string(name), "kind": .string(kind.rawValue)])
                return Created(location: "/admin/contexts/\(created.id.rawValue)")
            }
        }
    }

    /// The context named by the route's `id`, after checking `action` on it.
    func routeContext(_ context: TernRequestContext, _ visit: PortalVisit, _ action: PortalAccess.Action) async throws
        -> Context
    {
        let id = ContextID(try context.parameters.require("id"))
        // Not a member: the same refusal whether the context exists or not.
        try visit.require(action, in: id)
        guard let found = try await tenants.context(id) else { throw PortalFailure.notFound("context \(id)") }
        return found
    }

    /// `GET /admin/contexts/{id}`: members and roles, tool permissions, skills, MCP servers and
    /// credential names (never values).
    @Sendable func contextDetail(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            let found = try await routeContext(context, visit, .readContext)
            let members = try await tenants.members(of: found.id)
            var users: [UserID: User] = [:]
            for user in try await tenants.users() { users[user.id] = user }
            let model = ContextModel(
                context: found, yourRole: visit.isAdmin ? "admin" : visit.role(in: found.id)?.rawValue ?? "none",
                canManage: visit.refusal(.manageMembers, in: found.id) == nil,
                canConfigure: visit.refusal(.configureTools, in: found.id) == nil,
                canManageCredentials: visit.refusal(.manageCredentials, in: found.id) == nil,
                members: members.map { ($0, users[$0.userID]) }, tools: try await agent.toolStatus(in: found.id),
                skills: await agent.skills(in: found.id), servers: try await mcpServers.servers(in: found.id),
                credentials: try await credentials.list(in: found.id))
            return PortalPage.render("context", title: "Context \(found.name)", model: model, visit: visit, section: "Contexts")
        }
    }

    /// `POST /admin/contexts/{id}/members` (email, role; idempotent): admins and the context's owners.
    @Sendable func addMember(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, form in
            let found = try await routeContext(context, visit, .manageMembers)
            let email = try form.require("email", label: "The member's email")
            let role = try form.require("role", label: "The role", as: MemberRole.self)
            guard let user = try await tenants.user(email: email) else {
                throw PortalFailure(.notFound, "No user has the email \(email); they appear after their first sign-in.")
            }
            return try await once(visit, form) {
                _ = try await tenants.addMember(user.id, to: found.id, role: role)
                await audit(
                    visit, request, context, action: "member.add", object: ("member", user.id.rawValue), in: found.id,
                    after: ["user_id": .string(user.id.rawValue), "role": .string(role.rawValue)])
                return Created(location: "/admin/contexts/\(found.id.rawValue)")
            }
        }
    }

    /// `POST /admin/contexts/{id}/members/{user}/role` (role).
    @Sendable func changeMemberRole(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, form in
            let found = try await routeContext(context, visit, .manageMembers)
            let user = UserID(try context.parameters.require("user"))
            let role = try form.require("role", label: "The role", as: MemberRole.self)
            guard let before = try await tenants.members(of: found.id).first(where: { $0.userID == user }) else {
                throw PortalFailure.notFound("member \(user) in this context")
            }
            _ = try await tenants.addMember(user, to: found.id, role: role)
            await audit(
                visit, request, context, action: "member.role", object: ("member", user.rawValue), in: found.id,
                before: ["role": .string(before.role.rawValue)], after: ["role": .string(role.rawValue)])
            return PortalPage.redirect(to: "/admin/contexts/\(found.id.rawValue)")
        }
    }

    /// `POST /admin/contexts/{id}/members/{user}/remove`.
    @Sendable func removeMember(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, _ in
            let found = try await routeContext(context, visit, .manageMembers)
            let user = UserID(try context.parameters.require("user"))
            try await tenants.removeMember(user, from: found.id)
            await audit(visit, request, context, action: "member.remove", object: ("member", user.rawValue), in: found.id)
            return PortalPage.redirect(to: "/admin/contexts/\(found.id.rawValue)")
        }
    }
}
