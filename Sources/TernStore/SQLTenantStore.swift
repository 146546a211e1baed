package import Foundation
import SQLKit
package import TernCore

/// ``TenantStore`` on SQLKit; the same queries serve SQLite and PostgreSQL.
package struct SQLTenantStore: TenantStore {
    let database: any DatabaseHandle
    let clock: MonotonicMicroseconds
    let makeID: @Sendable () -> String
    /// Advanced after every change this store makes to users, contexts and memberships.
    package let epoch: MembershipEpoch
    /// What every request reads (its user, memberships, the context it names), kept for
    /// `cacheMaxAge` or until ``epoch`` moves.
    let cache: TenantCache

    /// - Parameters:
    ///   - clock: the time source for `created_at`; stored times never go backwards.
    ///   - makeID: new row IDs (random UUIDs unless a test injects its own).
    ///   - epoch: the counter to advance on changes; share it with whoever caches memberships.
    ///   - cacheMaxAge: how long users, memberships and contexts read by id or name are reused;
    ///     changes made through this store are seen at once, changes by another replica within
    ///     this time (docs/security.md).
    package init(
        database: any DatabaseHandle, clock: any WallClock = SystemWallClock(),
        makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() },
        epoch: MembershipEpoch = MembershipEpoch(), cacheMaxAge: Duration = TenantCache.defaultMaxAge
    ) {
        self.database = database
        self.clock = MonotonicMicroseconds(clock: clock)
        self.makeID = makeID
        self.epoch = epoch
        cache = TenantCache(epoch: epoch, maxAge: cacheMaxAge)
    }

    // MARK: Users

    package func user(_ id: UserID) async throws -> User? {
        try await cache.usersByID.value(for: id) {
            try await mapErrors {
                try await database.read { db in
                    try await db.select().columns("*").from("users").where("id", .equal, SQLBind(id.rawValue)).first()
                }
            }.map(Self.decodeUser)
        }
    }

    package func user(email: String) async throws -> User? {
        let normalised = User.normalise(email: email)
        return try await cache.usersByEmail.value(for: normalised) {
            try await mapErrors {
                try await database.read { db in
                    try await db.select().columns("*").from("users").where("email", .equal, SQLBind(normalised)).first()
                }
            }.map(Self.decodeUser)
        }
    }

    package func users() async throws -> [User] {
        try await mapErrors {
            try await database.read { db in
                try await db.select().columns("*").from("users").orderBy("created_at").orderBy("id").all()
            }
        }.map(Self.decodeUser)
    }

    package func provisionUser(email: String, displayName: String, role: UserRole) async throws -> (User, Context) {
        defer { epoch.advance() }  // a new user and membership (advancing after a failure is harmless)
        let normalised = User.normalise(email: email)
        guard normalised.contains("@"), normalised.count <= 254 else {
            throw StoreError.invalid("email '\(email)' is not an email address")
        }
        let userID = makeID()
        let contextID = makeID()
        let now = clock.next()
        let base = Self.personalContextBase(for: normalised)
        return try await mapErrors {
            try await database.transaction { db in
                let taken = try await db.select().column("id").from("users")
                    .where("email", .equal, SQLBind(normalised)).first()
                if taken != nil { throw StoreError.conflict("a user with email \(normalised) already exists") }
                try await db.insert(into: "users")
                    .columns("id", "email", "display_name", "role", "created_at")
                    .values(SQLBind(userID), SQLBind(normalised), SQLBind(displayName), SQLBind(role.rawValue), SQLBind(now))
                    .run()
                let name = try await Self.freeContextName(db, base: base)
                try await Self.insertContext(db, id: contextID, name: name, kind: .personal, at: now)
                try await Self.insertMember(db, user: userID, context: contextID, role: .owner, isDefault: true, at: now)
                let user = User(
                    id: UserID(userID), email: normalised, displayName: displayName, role: role,
                    createdAt: Date(microsecondsSince1970: now))
                let context = Context(
                    id: ContextID(contextID), name: name, kind: .personal, createdAt: Date(microsecondsSince1970: now))
                return (user, context)
            }
        }
    }

    package func setRole(_ role: UserRole, of user: UserID) async throws -> User {
        let dialect = database.dialect
        try await mapErrors {
            try await database.transaction { db in
                try await Self.requireUser(db, user)
                if role != .admin {
                    try await Self.requireAnotherAdmin(db, dialect: dialect, besides: user, change: "demoted")
                }
                try await db.update("users").set("role", to: SQLBind(role.rawValue))
                    .where("id", .equal, SQLBind(user.rawValue)).run()
            }
        }
        epoch.advance()
        guard let updated = try await self.user(user) else { throw StoreError.notFound("user \(user)") }
        return updated
    }

    /// Throws ``StoreError/conflict(_:)`` when `user` is an admin and no other admin exists. Call
    /// inside the transaction that demotes or deletes `user`: on PostgreSQL the admin rows are
    /// locked (`FOR UPDATE`), so a concurrent demotion waits and then sees this one; SQLite
    /// transactions take the single writer lock up front.
    static func requireAnotherAdmin(
        _ db: any SQLDatabase, dialect: SQLDialectKind, besides user: UserID, change: String
    ) async throws {
        let lock: SQLQueryString = dialect == .postgres ? " FOR UPDATE" : ""
        let rows = try await db.raw("SELECT id FROM users WHERE role = 'admin'\(lock)").all()
        let admins = try rows.map { try $0.decode(column: "id", as: String.self) }
        guard admins.contains(user.rawValue), admins.count == 1 else { return }
        throw StoreError.conflict(
            "user \(user) is the last admin and cannot be \(change); make another user an admin first")
    }

    package func touch(_ user: UserID, at time: Date) async throws {
        try await mapErrors {
            try await database.write { db in
                try await db.update("users").set("last_seen_at", to: SQLBind(time.microsecondsSince1970))
                    .where("id", .equal, SQLBind(user.rawValue)).run()
            }
        }
        // Cached users carry last_seen_at: set it in place rather than advance the epoch, which
        // would empty every cache each time any user is seen (every 5 minutes per user).
        if let user = cache.usersByID.update(user, { $0.lastSeenAt = time }), let email = user.email {
            cache.usersByEmail.update(email) { $0.lastSeenAt = time }
        } else if let email = try await self.user(user)?.email {
            cache.usersByEmail.update(email) { $0.lastSeenAt = time }
        }
    }

    // MARK: Contexts

    package func context(_ id: ContextID) async throws -> Context? {
        try await mapErrors {
            try await database.read { db in
                try await db.select().columns("id", "name", "kind", "created_at").from("contexts")
                    .where("id", .equal, SQLBind(id.rawValue)).first()
            }
        }.map(Self.decodeContext)
    }

    package func context(named name: String) async throws -> Context? {
        try await cache.contextsByName.value(for: name) {
            try await mapErrors {
                try await database.read { db in
                    try await db.select().columns("id", "name", "kind", "created_at").from("contexts")
                        .where("name", .equal, SQLBind(name)).first()
                }
            }.map(Self.decodeContext)
        }
    }

    package func createContext(name: String, kind: ContextKind, owner: UserID?) async throws -> Context {
        defer { epoch.advance() }  // the owner's memberships change
        if let problem = ContextName.problem(with: name) {
            throw StoreError.invalid("context name '\(name)' \(problem)")
        }
        let id = makeID()
        let now = clock.next()
        return try await mapErrors {
            try await database.transaction { db in
                let taken = try await db.select().column("id").from("contexts").where("name", .equal, SQLBind(name)).first()
                if taken != nil { throw StoreError.conflict("a context named '\(name)' already exists") }
                try await Self.insertContext(db, id: id, name: name, kind: kind, at: now)
                if let owner {
                    try await Self.requireUser(db, owner)
                    let takesDefault = try await Self.takesDefault(db, user: owner, context: ContextID(id))
                    try await Self.insertMember(db, user: owner.rawValue, context: id, role: .owner, isDefault: takesDefault, at: now)
                }
                return Context(id: ContextID(id), name: name, kind: kind, createdAt: Date(microsecondsSince1970: now))
            }
        }
    }

    package func renameContext(_ id: ContextID, to name: String) async throws -> Context {
        if let problem = ContextName.problem(with: name) {
            throw StoreError.invalid("context name '\(name)' \(problem)")
        }
        try await mapErrors {
            try await database.transaction { db in
                let taken = try await db.select().column("id").from("contexts").where("name", .equal, SQLBind(name))
                    .where("id", .notEqual, SQLBind(id.rawValue)).first()
                if taken != nil { throw StoreError.conflict("a context named '\(name)' already exists") }
                try await Self.requireContext(db, id)
                try await db.update("contexts").set("name", to: SQLBind(name)).where("id", .equal, SQLBind(id.rawValue)).run()
            }
        }
        epoch.advance()
        guard let renamed = try await context(id) else { throw StoreError.notFound("context \(id)") }
        return renamed
    }

    package func deleteContext(_ id: ContextID) async throws {
        try await mapErrors {
            try await database.transaction { db in
                try await Self.requireContext(db, id)
                try await db.delete(from: "contexts").where("id", .equal, SQLBind(id.rawValue)).run()
            }
        }
        epoch.advance()
    }

    package func contextSummaries() async throws -> [ContextSummary] {
        // One statement: each count is an indexed correlated subquery (no N+1).
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.raw(
                    """
                    SELECT c.id, c.name, c.kind, c.created_at,
                        (SELECT COUNT(*) FROM context_members m WHERE m.context_id = c.id) AS member_count,
                        (SELECT COUNT(*) FROM conversations v WHERE v.context_id = c.id) AS conversation_count,
                        (SELECT COUNT(*) FROM messages g WHERE g.context_id = c.id) AS message_count
                    FROM contexts c
                    ORDER BY c.name
                    """
                ).all()
            }
        }
        return try rows.map { row in
            ContextSummary(
                context: try Self.decodeContext(row),
                memberCount: try row.decode(column: "member_count", as: Int.self),
                conversationCount: try row.decode(column: "conversation_count", as: Int.self),
                messageCount: try row.decode(column: "message_count", as: Int.self))
        }
    }
}
