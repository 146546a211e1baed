import Foundation
import SQLKit
package import TernCore

extension SQLTenantStore {
    package func memberships(of user: UserID) async throws -> [Membership] {
        try await cache.memberships.value(for: user) {
            try await members(where: "m.user_id", equals: user.rawValue)
        } ?? []
    }

    package func members(of context: ContextID) async throws -> [Membership] {
        try await members(where: "m.context_id", equals: context.rawValue)
    }

    package func addMember(_ user: UserID, to context: ContextID, role: MemberRole) async throws -> Membership {
        let now = clock.next()
        try await mapErrors {
            try await database.transaction { db in
                try await Self.requireUser(db, user)
                try await Self.requireContext(db, context)
                let existing = try await db.select().column("role").from("context_members")
                    .where("user_id", .equal, SQLBind(user.rawValue))
                    .where("context_id", .equal, SQLBind(context.rawValue)).first()
                if existing != nil {
                    try await db.update("context_members").set("role", to: SQLBind(role.rawValue))
                        .where("user_id", .equal, SQLBind(user.rawValue))
                        .where("context_id", .equal, SQLBind(context.rawValue)).run()
                } else {
                    let takesDefault = try await Self.takesDefault(db, user: user, context: context)
                    try await Self.insertMember(
                        db, user: user.rawValue, context: context.rawValue, role: role, isDefault: takesDefault, at: now)
                }
            }
        }
        epoch.advance()
        let all = try await memberships(of: user)
        guard let membership = all.first(where: { $0.contextID == context }) else {
            throw StoreError.database("membership of \(user) in \(context) vanished after insert")
        }
        return membership
    }

    package func removeMember(_ user: UserID, from context: ContextID) async throws {
        try await mapErrors {
            try await database.transaction { db in
                let row = try await db.select().column("is_default").from("context_members")
                    .where("user_id", .equal, SQLBind(user.rawValue))
                    .where("context_id", .equal, SQLBind(context.rawValue)).first()
                guard let row else { throw StoreError.notFound("user \(user) is not a member of context \(context)") }
                try await db.delete(from: "context_members")
                    .where("user_id", .equal, SQLBind(user.rawValue))
                    .where("context_id", .equal, SQLBind(context.rawValue)).run()
                // A default moves only to a personal context: a shared one must be chosen explicitly.
                if try row.decode(column: "is_default", as: Int.self) == 1 {
                    let next = try await db.raw(
                        """
                        SELECT m.context_id FROM context_members m JOIN contexts c ON c.id = m.context_id
                        WHERE m.user_id = \(bind: user.rawValue) AND c.kind = \(bind: ContextKind.personal.rawValue)
                        ORDER BY m.created_at LIMIT 1
                        """
                    ).first()
                    if let next {
                        try await db.update("context_members").set("is_default", to: SQLBind(1))
                            .where("user_id", .equal, SQLBind(user.rawValue))
                            .where("context_id", .equal, SQLBind(try next.decode(column: "context_id", as: String.self)))
                            .run()
                    }
                }
            }
        }
        epoch.advance()
    }

    package func setDefaultContext(_ context: ContextID, of user: UserID) async throws -> Membership {
        try await mapErrors {
            try await database.transaction { db in
                let row = try await db.select().column("role").from("context_members")
                    .where("user_id", .equal, SQLBind(user.rawValue))
                    .where("context_id", .equal, SQLBind(context.rawValue)).first()
                guard row != nil else { throw StoreError.notFound("user \(user) is not a member of context \(context)") }
                try await db.update("context_members").set("is_default", to: SQLBind(0))
                    .where("user_id", .equal, SQLBind(user.rawValue)).run()
                try await db.update("context_members").set("is_default", to: SQLBind(1))
                    .where("user_id", .equal, SQLBind(user.rawValue))
                    .where("context_id", .equal, SQLBind(context.rawValue)).run()
            }
        }
        epoch.advance()
        guard let membership = try await memberships(of: user).first(where: { $0.contextID == context }) else {
            throw StoreError.database("membership of \(user) in \(context) vanished after setting the default")
        }
        return membership
    }

    /// Whether a new membership becomes the user's default: only without a default, and only for
    /// the user's first context or a personal one.
    static func takesDefault(_ db: any SQLDatabase, user: UserID, context: ContextID) async throws -> Bool {
        if try await hasDefault(db, user) { return false }
        let any = try await db.select().column("context_id").from("context_members")
            .where("user_id", .equal, SQLBind(user.rawValue)).first()
        if any == nil { return true }
        let kind = try await db.select().column("kind").from("contexts")
            .where("id", .equal, SQLBind(context.rawValue)).first()
        return try kind?.decode(column: "kind", as: String.self) == ContextKind.personal.rawValue
    }

    private func members(where column: String, equals value: String) async throws -> [Membership] {
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.raw(
                    """
                    SELECT m.user_id, m.context_id, c.name, c.kind, m.role, m.is_default
                    FROM context_members m JOIN contexts c ON c.id = m.context_id
                    WHERE \(unsafeRaw: column) = \(bind: value)
                    ORDER BY c.name
                    """
                ).all()
            }
        }
        return try rows.map { row in
            let role = try row.decode(column: "role", as: String.self)
            return Membership(
                userID: UserID(try row.decode(column: "user_id", as: String.self)),
                contextID: ContextID(try row.decode(column: "context_id", as: String.self)),
                contextName: try row.decode(column: "name", as: String.self),
                role: try MemberRole(rawValue: role).unwrap("unknown member role \(role)"),
                isDefault: try row.decode(column: "is_default", as: Int.self) == 1,
                contextKind: try ContextKind(rawValue: row.decode(column: "kind", as: String.self))
                    .unwrap("unknown context kind"))
        }
    }

    // MARK: Shared statements

    static func insertContext(_ db: any SQLDatabase, id: String, name: String, kind: ContextKind, at time: Int64)
        async throws
    {
        try await db.insert(into: "contexts").columns("id", "name", "kind", "created_at")
            .values(SQLBind(id), SQLBind(name), SQLBind(kind.rawValue), SQLBind(time)).run()
    }

    static func insertMember(
        _ db: any SQLDatabase, user: String, context: String, role: MemberRole, isDefault: Bool, at time: Int64
    ) async throws {
        try await db.insert(into: "context_members")
            .columns("user_id", "context_id", "role", "is_default", "created_at")
            .values(SQLBind(user), SQLBind(context), SQLBind(role.rawValue), SQLBind(isDefault ? 1 : 0), SQLBind(time))
            .run()
    }

    static func hasDefault(_ db: any SQLDatabase, _ user: UserID) async throws -> Bool {
        try await db.select().column("context_id").from("context_members")
            .where("user_id", .equal, SQLBind(user.rawValue)).where("is_default", .equal, SQLBind(1)).first() != nil
    }

    static func requireUser(_ db: any SQLDatabase, _ user: UserID) async throws {
        if try await db.select().column("id").from("users").where("id", .equal, SQLBind(user.rawValue)).first() == nil {
            throw StoreError.notFound("user \(user)")
        }
    }

    static func requireContext(_ db: any SQLDatabase, _ context: ContextID) async throws {
        if try await db.select().column("id").from("contexts").where("id", .equal, SQLBind(context.rawValue)).first()
            == nil
        {
            throw StoreError.notFound("context \(context)")
        }
    }

    /// A free context name derived from `base`: `base`, `base-2`, `base-3`, …
    static func freeContextName(_ db: any SQLDatabase, base: String) async throws -> String {
        var candidate = base
        var suffix = 1
        while try await db.select().column("id").from("contexts").where("name", .equal, SQLBind(candidate)).first() != nil {
            suffix += 1
            candidate = "\(base.prefix(60))-\(suffix)"
        }
        return candidate
    }

    /// The local part of an email, reduced to the characters context names allow.
    static func personalContextBase(for email: String) -> String {
        let local = email.split(separator: "@").first.map(String.init) ?? email
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
        var name = String(local.lowercased().map { allowed.contains($0) ? $0 : "-" }.prefix(56))
        while name.hasPrefix(".") || name.hasPrefix("-") { name.removeFirst() }
        return name.isEmpty ? "user" : name
    }

    static func decodeUser(_ row: any SQLRow) throws -> User {
        let role = try row.decode(column: "role", as: String.self)
        return User(
            id: UserID(try row.decode(column: "id", as: String.self)),
            email: try row.decode(column: "email", as: String?.self),
            displayName: try row.decode(column: "display_name", as: String.self),
            role: try UserRole(rawValue: role).unwrap("unknown user role \(role)"),
            createdAt: Date(microsecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            lastSeenAt: try row.decode(column: "last_seen_at", as: Int64?.self).map(Date.init(microsecondsSince1970:)))
    }

    static func decodeContext(_ row: any SQLRow) throws -> Context {
        let kind = try row.decode(column: "kind", as: String.self)
        return Context(
            id: ContextID(try row.decode(column: "id", as: String.self)),
            name: try row.decode(column: "name", as: String.self),
            kind: try ContextKind(rawValue: kind).unwrap("unknown context kind \(kind)"),
            createdAt: Date(microsecondsSince1970: try row.decode(column: "created_at", as: Int64.self)))
    }
}
