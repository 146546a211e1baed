package import Foundation
package import Hummingbird
package import Logging
import NIOFoundationCompat
package import TernAgent
package import TernCore
package import TernMemory

/// The admin JSON API under `/admin/api/v1`: contexts, members, users, API keys, tool
/// permissions, MCP servers. Who may reach what is decided by ``AdminScope`` alone: every
/// handler asks it before touching anything.
package struct AdminController: Sendable {
    let tenants: any TenantStore
    let keys: any APIKeyStore
    let agent: AgentService
    let clock: any WallClock
    let mcpServers: any MCPServerAdmin
    let credentials: CredentialVault
    let audit: any AuditStore
    /// A context's memory; `nil` answers its routes with 503.
    let memory: MemoryService?

    package init(
        tenants: any TenantStore, keys: any APIKeyStore, agent: AgentService, clock: any WallClock,
        mcpServers: any MCPServerAdmin, credentials: CredentialVault, audit: any AuditStore, memory: MemoryService? = nil
    ) {
        self.memory = memory
        self.tenants = tenants
        self.keys = keys
        self.agent = agent
        self.clock = clock
        self.mcpServers = mcpServers
        self.credentials = credentials
        self.audit = audit
    }

    package func addRoutes(to group: RouterGroup<TernRequestContext>) {
        group.get("contexts", use: listContexts)
        group.post("contexts", use: createContext)
        group.patch("contexts/:id", use: renameContext)
        group.delete("contexts/:id", use: deleteContext)
        group.get("contexts/:id/members", use: listMembers)
        group.post("contexts/:id/members", use: addMember)
        group.delete("contexts/:id/members/:user", use: removeMember)
        group.get("users", use: listUsers)
        group.post("users", use: createUser)
        group.patch("users/:id", use: updateUser)
        group.delete("users/:id", use: deleteUser)
        group.get("keys", use: listKeys)
        group.post("keys", use: createKey)
        group.delete("keys/:id", use: revokeKey)
        group.get("contexts/:id/tools", use: listTools)
        group.put("contexts/:id/tools/:tool", use: setToolPermission)
        group.delete("contexts/:id/tools/:tool", use: resetToolPermission)
        addMCPRoutes(to: group)
        addCredentialRoutes(to: group)
        addAuditRoutes(to: group)
        addMemoryRoutes(to: group)
    }

    // MARK: Contexts

    @Sendable func listContexts(_ request: Request, context: TernRequestContext) async throws -> Response {
        let scope = try await scope(of: context)
        let summaries = try await tenants.contextSummaries().filter { scope.contains($0.context.id) }
        return try json(.ok, ["data": .array(summaries.map(AdminJSON.summary))])
    }

    @Sendable func createContext(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await scope(of: context).requireUnlimited("create contexts")
        let body = try await JSONBody.read(request, context: context)
        let name = try body.string("name")
        try checkName(name)
        let kind = try body.optionalEnum("kind", ContextKind.self) ?? .shared
        let owner = try await existingUser(try body.optionalString("owner_id")) ?? context.requireIdentity().user.id
        let created = try await tenants.createContext(name: name, kind: kind, owner: owner)
        return try json(.created, AdminJSON.context(created))
    }

    @Sendable func renameContext(_ request: Request, context: TernRequestContext) async throws -> Response {
        let id = try await existingContext(context, for: .manage)
        let name = try await JSONBody.read(request, context: context).string("name")
        try checkName(name)
        return try json(.ok, AdminJSON.context(try await tenants.renameContext(id, to: name)))
    }

    @Sendable func deleteContext(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await scope(of: context).requireUnlimited("delete contexts")
        let id = try await existingContext(context, for: .manage)
        guard id != .defaultContext else {
            throw APIError(status: .conflict, message: "the default context cannot be deleted", code: "conflict")
        }
        try await tenants.deleteContext(id)
        return Response(status: .noContent)
    }

    @Sendable func listMembers(_ request: Request, context: TernRequestContext) async throws -> Response {
        let id = try await existingContext(context, for: .manage)
        return try json(.ok, ["data": .array(try await tenants.members(of: id).map(AdminJSON.membership))])
    }

    @Sendable func addMember(_ request: Request, context: TernRequestContext) async throws -> Response {
        let id = try await existingContext(context, for: .manage)
        let body = try await JSONBody.read(request, context: context)
        let user = try await requireUser(try body.string("user_id"))
        let role = try body.optionalEnum("role", MemberRole.self) ?? .member
        return try json(.created, AdminJSON.membership(try await tenants.addMember(user, to: id, role: role)))
    }

    @Sendable func removeMember(_ request: Request, context: TernRequestContext) async throws -> Response {
        let id = try await existingContext(context, for: .manage)
        let user = UserID(try context.parameters.require("user"))
        try await tenants.removeMember(user, from: id)
        return Response(status: .noContent)
    }

    // MARK: Users

    @Sendable func listUsers(_ request: Request, context: TernRequestContext) async throws -> Response {
        let users = try await scope(of: context).visibleUsers(tenants)
        return try json(.ok, ["data": .array(users.map(AdminJSON.user))])
    }

    @Sendable func createUser(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await scope(of: context).requireUnlimited("create users")
        let body = try await JSONBody.read(request, context: context)
        let email = try body.string("email")
        let role = try body.optionalEnum("role", UserRole.self) ?? .user
        let displayName = try body.optionalString("display_name") ?? email
        let (user, personal): (User, Context)
        do {
            (user, personal) = try await tenants.provisionUser(email: email, displayName: displayName, role: role)
        } catch StoreError.invalid(let why) {
            // The store validates the address (and the name made from it); the caller sent `email`.
            throw APIError(status: .badRequest, message: why, param: "email", code: "invalid_value")
        }
        return try json(.created, .object(["user": AdminJSON.user(user), "context": AdminJSON.context(personal)]))
    }

    /// `PATCH users/{id}` with `role` and/or `default_context` (a context id or name the user
    /// belongs to). The last admin cannot be demoted (409, from the store).
    @Sendable func updateUser(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await scope(of: context).requireUnlimited("change users")
        let id = try await requireUser(try context.parameters.require("id"))
        let body = try await JSONBody.read(request, context: context)
        let role = try body.optionalEnum("role", UserRole.self)
        let defaultContext = try body.optionalString("default_context")
        guard role != nil || defaultContext != nil else {
            throw APIError.invalid("'role' or 'default_context' is required", param: "role")
        }
        // Checked before any change, so a refused default leaves the role alone too.
        var newDefault: ContextID?
        if let defaultContext {
            let memberships = try await tenants.memberships(of: id)
            guard let found = memberships.first(where: { $0.contextID.rawValue == defaultContext || $0.contextName == defaultContext })
            else {
                throw APIError(
                    status: .badRequest, message: "user \(id) is not a member of a context '\(defaultContext)'",
                    param: "default_context", code: "invalid_value")
            }
            newDefault = found.contextID
        }
        guard var user = try await tenants.user(id) else {
            throw APIError(status: .notFound, message: "no user with id '\(id)'", code: "not_found")
        }
        if let role { user = try await tenants.setRole(role, of: id) }
        if let newDefault { _ = try await tenants.setDefaultContext(newDefault, of: id) }
        return try json(.ok, AdminJSON.user(user))
    }

    /// `DELETE users/{id}`: the user, their memberships and keys, and personal contexts nobody
    /// else belongs to. The last admin (409) and the built-in local user (400) stay.
    @Sendable func deleteUser(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await scope(of: context).requireUnlimited("delete users")
        let id = try await requireUser(try context.parameters.require("id"))
        let removed = try await tenants.deleteUser(id)
        context.logger.notice(
            "user deleted", metadata: ["user": "\(id)", "contexts_deleted": "\(removed.joined(separator: ","))"])
        return Response(status: .noContent)
    }

    // MARK: Keys

    @Sendable func listKeys(_ request: Request, context: TernRequestContext) async throws -> Response {
        let scope = try await scope(of: context)
        let user = try await existingUser(request.formQuery["user_id"])
        let visible = try await keys.keys(of: user).filter(scope.contains(key:))
        return try json(.ok, ["data": .array(visible.map(AdminJSON.key))])
    }

    @Sendable func createKey(_ request: Request, context: TernRequestContext) async throws -> Response {
        let scope = try await scope(of: context)
        let body = try await JSONBody.read(request, context: context)
        let user = try await existingUser(try body.optionalString("user_id")) ?? context.requireIdentity().user.id
        var asked: ContextID?
        if let contextID = try body.optionalString("context_id") {
            guard try await tenants.context(ContextID(contextID)) != nil else {
                throw APIError(status: .notFound, message: "no context with id '\(contextID)'", param: "context_id", code: "not_found")
            }
            asked = ContextID(contextID)
        }
        let name = try body.string("name")
        let restriction = try await scope.restrictionForNewKey(asked: asked, for: user, tenants: tenants)
        let (record, secret) = try await keys.createKey(for: user, context: restriction, name: name)
        var object = AdminJSON.key(record).objectValue ?? [:]
        object["secret"] = .string(secret)
        return try json(.created, .object(object))
    }

    @Sendable func revokeKey(_ request: Request, context: TernRequestContext) async throws -> Response {
        let scope = try await scope(of: context)
        let id = try context.parameters.require("id")
        if scope.reach != .everything {
            guard let record = try await keys.keys(of: nil).first(where: { $0.id == id }) else {
                throw APIError(status: .notFound, message: "not found: API key \(id)", code: "not_found")
            }
            try scope.require(key: record)
        }
        let record = try await keys.revoke(id, at: clock.now())
        return try json(.ok, AdminJSON.key(record))
    }

    // MARK: Helpers

    /// The caller's ``AdminScope``.
    func scope(of context: TernRequestContext) async throws -> AdminScope {
        try await AdminScope.resolve(try context.requireIdentity(), tenants: tenants)
    }

    /// The route's context, once the caller's scope allows `use` of it (403) and it exists (404).
    func existingContext(_ context: TernRequestContext, for use: AdminScope.Use) async throws -> ContextID {
        let id = ContextID(try context.parameters.require("id"))
        try await scope(of: context).require(id, for: use)
        guard try await tenants.context(id) != nil else {
            throw APIError(status: .notFound, message: "no context with id '\(id)'", code: "not_found")
        }
        return id
    }

    private func existingUser(_ id: String?) async throws -> UserID? {
        guard let id else { return nil }
        return try await requireUser(id)
    }

    private func requireUser(_ id: String) async throws -> UserID {
        guard try await tenants.user(UserID(id)) != nil else {
            throw APIError(status: .notFound, message: "no user with id '\(id)'", code: "not_found")
        }
        return UserID(id)
    }

    private func checkName(_ name: String) throws {
        if let problem = ContextName.problem(with: name) {
            throw APIError.invalid("'name' \(problem)", param: "name")
        }
    }

    func json(_ status: HTTPResponse.Status, _ value: JSONValue) throws -> Response {
        let data = try JSONEncoder.tern.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    func json(_ status: HTTPResponse.Status, _ object: [String: JSONValue]) throws -> Response {
        try json(status, .object(object))
    }
}

/// How admin API answers look.
enum AdminJSON {
    static func time(_ date: Date?) -> JSONValue {
        date.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null
    }

    static func context(_ context: Context) -> JSONValue {
        .object([
            "id": .string(context.id.rawValue), "name": .string(context.name), "kind": .string(context.kind.rawValue),
            "created_at": time(context.createdAt),
        ])
    }

    static func summary(_ summary: ContextSummary) -> JSONValue {
        var object = context(summary.context).objectValue ?? [:]
        object["member_count"] = .number(Double(summary.memberCount))
        object["conversation_count"] = .number(Double(summary.conversationCount))
        object["message_count"] = summary.messageCount.map { .number(Double($0)) } ?? .null
        return .object(object)
    }

    static func membership(_ membership: Membership) -> JSONValue {
        .object([
            "user_id": .string(membership.userID.rawValue), "context_id": .string(membership.contextID.rawValue),
            "context_name": .string(membership.contextName), "role": .string(membership.role.rawValue),
            "is_default": .bool(membership.isDefault),
        ])
    }

    static func user(_ user: User) -> JSONValue {
        .object([
            "id": .string(user.id.rawValue), "email": user.email.map(JSONValue.string) ?? .null,
            "display_name": .string(user.displayName), "role": .string(user.role.rawValue),
            "created_at": time(user.createdAt), "last_seen_at": time(user.lastSeenAt),
        ])
    }

    static func key(_ key: APIKeyRecord) -> JSONValue {
        .object([
            "id": .string(key.id), "user_id": .string(key.userID.rawValue),
            "context_id": key.contextID.map { .string($0.rawValue) } ?? .null, "name": .string(key.name),
            "prefix": .string(key.prefix), "created_at": time(key.createdAt), "last_used_at": time(key.lastUsedAt),
            "revoked_at": time(key.revokedAt),
        ])
    }
}
