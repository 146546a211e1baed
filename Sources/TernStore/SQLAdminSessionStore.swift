package import Foundation
import SQLKit
package import TernCore

/// ``AdminSessionStore`` on SQLKit. Tokens are stored as keyed hashes (``APIKeyHasher``), so a
/// copy of the database cannot be replayed as a cookie.
package struct SQLAdminSessionStore: AdminSessionStore {
    private let database: any DatabaseHandle
    private let hasher: APIKeyHasher
    private let clock: any WallClock
    private let makeID: @Sendable () -> String
    /// `last_seen_at` is written at most this often per session, so most requests only read.
    private let lastSeenResolution: TimeInterval

    package init(
        database: any DatabaseHandle, hasher: APIKeyHasher, clock: any WallClock = SystemWallClock(),
        makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }, lastSeenResolution: TimeInterval = 30
    ) {
        self.database = database
        self.hasher = hasher
        self.clock = clock
        self.makeID = makeID
        self.lastSeenResolution = lastSeenResolution
    }

    package func createSession(for user: UserID, userAgent: String?, address: String?, expiresAt: Date) async throws
        -> (AdminSession, token: String)
    {
        let now = Date(microsecondsSince1970: clock.now().microsecondsSince1970)
        let token = AdminSession.makeToken()
        let session = AdminSession(
            id: makeID(), userID: user, createdAt: now, lastSeenAt: now,
            expiresAt: Date(microsecondsSince1970: expiresAt.microsecondsSince1970),
            userAgent: userAgent.map { String($0.prefix(512)) }, address: address)
        try await mapErrors {
            try await database.transaction { db in
                try await SQLTenantStore.requireUser(db, user)
                // Ended sessions of this user go when it signs in again; the rest wait for their own.
                try await db.delete(from: "admin_sessions").where("user_id", .equal, SQLBind(user.rawValue))
                    .where("expires_at", .lessThan, SQLBind(now.microsecondsSince1970)).run()
                try await db.insert(into: "admin_sessions")
                    .columns(
                        "id", "user_id", "token_hash", "created_at", "last_seen_at", "expires_at", "user_agent", "address"
                    )
                    .values(
                        SQLBind(session.id), SQLBind(user.rawValue), SQLBind(hasher.hash(token)),
                        SQLBind(now.microsecondsSince1970), SQLBind(now.microsecondsSince1970),
                        SQLBind(session.expiresAt.microsecondsSince1970), SQLBind(session.userAgent), SQLBind(address)
                    ).run()
            }
        }
        return (session, token)
    }

    package func session(token: String, idleTimeout: TimeInterval) async throws -> AdminSession? {
        guard (20...128).contains(token.count) else { return nil }
        let hash = hasher.hash(token)
        let row = try await mapErrors {
            try await database.read { db in
                try await db.select().columns("*").from("admin_sessions").where("token_hash", .equal, SQLBind(hash)).first()
            }
        }
        guard let row else { return nil }
        guard constantTimeEquals(hash, try row.decode(column: "token_hash", as: String.self)) else { return nil }
        var session = try Self.decode(row)
        let now = clock.now()
        if now >= session.expiresAt || now.timeIntervalSince(session.lastSeenAt) >= idleTimeout {
            try await deleteSession(session.id)
            return nil
        }
        if now.timeIntervalSince(session.lastSeenAt) >= lastSeenResolution {
            session.lastSeenAt = Date(microsecondsSince1970: now.microsecondsSince1970)
            let id = session.id
            try await mapErrors {
                try await database.write { db in
                    try await db.update("admin_sessions").set("last_seen_at", to: SQLBind(now.microsecondsSince1970))
                        .where("id", .equal, SQLBind(id)).run()
                }
            }
        }
        return session
    }

    package func sessions(of user: UserID) async throws -> [AdminSession] {
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.select().columns("*").from("admin_sessions").where("user_id", .equal, SQLBind(user.rawValue))
                    .orderBy("created_at", .descending).all()
            }
        }
        return try rows.map(Self.decode)
    }

    package func deleteSession(_ id: String) async throws {
        try await mapErrors {
            try await database.write { db in
                try await db.delete(from: "admin_sessions").where("id", .equal, SQLBind(id)).run()
            }
        }
    }

    static func decode(_ row: any SQLRow) throws -> AdminSession {
        AdminSession(
            id: try row.decode(column: "id", as: String.self),
            userID: UserID(try row.decode(column: "user_id", as: String.self)),
            createdAt: Date(microsecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            lastSeenAt: Date(microsecondsSince1970: try row.decode(column: "last_seen_at", as: Int64.self)),
            expiresAt: Date(microsecondsSince1970: try row.decode(column: "expires_at", as: Int64.self)),
            userAgent: try row.decode(column: "user_agent", as: String?.self),
            address: try row.decode(column: "address", as: String?.self))
    }
}
