import Foundation
import Hummingbird
import TernCore
import TernHTTP

extension PortalController {
    func addUserRoutes(to router: Router<TernRequestContext>) {
        router.get("admin/users", use: userList)
        router.get("admin/users/:user", use: userDetail)
        router.post("admin/users/:user/role", use: changeUserRole)
        router.post("admin/users/:user/keys", use: createUserKey)
        router.post("admin/users/:user/keys/:key/revoke", use: revokeUserKey)
    }

    /// `GET /admin/users?q=&cursor=`: admins.
    @Sendable func userList(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            try visit.require(.administer)
            let query = request.formQuery
            let search = query["q"]?.trimmingCharacters(in: .whitespaces) ?? ""
            let found = try await portal.queries.users(search: search, after: query["cursor"], limit: 50)
            return PortalPage.render("users", title: "Users", model: UsersModel(found, search: search), visit: visit, section: "Users")
        }
    }

    /// The user named by the route, for an admin.
    func routeUser(_ context: TernRequestContext, _ visit: PortalVisit) async throws -> User {
        try visit.require(.administer)
        let id = UserID(try context.parameters.require("user"))
        guard let user = try await tenants.user(id) else { throw PortalFailure.notFound("user \(id)") }
        return user
    }

    /// `GET /admin/users/{user}`: role, contexts, API keys.
    @Sendable func userDetail(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            let user = try await routeUser(context, visit)
            let model = UserModel(
                user: user, memberships: try await tenants.memberships(of: user.id), keys: try await apiKeys.keys(of: user.id))
            return PortalPage.render(
                "user", title: "User \(user.email ?? user.displayName)", model: model, visit: visit, section: "Users")
        }
    }

    /// `POST /admin/users/{user}/role` (role): admins; demoting the last admin is refused.
    @Sendable func changeUserRole(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, form in
            let user = try await routeUser(context, visit)
            let role = try form.require("role", label: "The role", as: UserRole.self)
            _ = try await tenants.setRole(role, of: user.id)
            await audit(
                visit, request, context, action: "user.role", object: ("user", user.id.rawValue),
                before: ["role": .string(user.role.rawValue)], after: ["role": .string(role.rawValue)])
            return PortalPage.redirect(to: "/admin/users/\(user.id.rawValue)")
        }
    }

    /// `POST /admin/users/{user}/keys` (name, context; idempotent): the key is shown once.
    @Sendable func createUserKey(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, form in
            let user = try await routeUser(context, visit)
            let memberships = try await tenants.memberships(of: user.id)
            return try await createKey(
                for: user.id, memberships: memberships, back: "/admin/users/\(user.id.rawValue)", visit, form, request, context)
        }
    }

    /// `POST /admin/users/{user}/keys/{key}/revoke`.
    @Sendable func revokeUserKey(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, _ in
            let user = try await routeUser(context, visit)
            try await revokeKey(of: user.id, visit, request, context)
            return PortalPage.redirect(to: "/admin/users/\(user.id.rawValue)")
        }
    }

    /// Creates an API key for `user` (limited to one of `memberships`' contexts when the form
    /// names one) once per form, and shows its secret this once.
    func createKey(
        for user: UserID, memberships: [Membership], back: String, _ visit: PortalVisit, _ form: PortalForm,
        _ request: Request, _ context: TernRequestContext
    ) async throws -> Response {
        let name = try form.require("name", label: "The key's name")
        guard name.count <= 100 else { throw PortalFailure.invalid("The key's name is longer than 100 characters.") }
        let limited = form.value("context").map { ContextID($0) }
        if let limited, !memberships.contains(where: { $0.contextID == limited }) {
            throw PortalFailure.invalid("A key can only be limited to a context its user is a member of.")
        }
        return try await once(visit, form) {
            let (record, secret) = try await apiKeys.createKey(for: user, context: limited, name: name)
            await audit(
                visit, request, context, action: "key.create", object: ("key", record.id), in: limited,
                after: ["user_id": .string(user.rawValue), "name": .string(name)])
            let shown = PortalPage.render(
                "key-created", title: "New API key", model: KeyCreatedModel(name: name, secret: secret, back: back), visit: visit)
            return Created(location: back, response: shown)
        }
    }

    /// Revokes the route's key, which must belong to `user`.
    func revokeKey(of user: UserID, _ visit: PortalVisit, _ request: Request, _ context: TernRequestContext) async throws {
        let id = try context.parameters.require("key")
        guard try await apiKeys.keys(of: user).contains(where: { $0.id == id }) else {
            throw PortalFailure.notFound("API key \(id) of this user")
        }
        let revoked = try await apiKeys.revoke(id, at: clock.now())
        await audit(visit, request, context, action: "key.revoke", object: ("key", id), in: revoked.contextID)
    }
}
