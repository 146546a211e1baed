package import Foundation
import SQLKit
package import TernCore

/// ``APIKeyStore`` on SQLKit. Only the keyed hash and a short prefix of each secret are stored.
package struct SQLAPIKeyStore: APIKeyStore {
    private let database: any DatabaseHandle
    private let hasher: APIKeyHasher
    private let clock: any WallClock
    private let makeID: @Sendable () -> String
    /// Writes of `last_used_at` happen at most this often per key, so authentication is a read.
    private let lastUsedResolution: TimeInterval
    /// Advanced when a key is revoked; share it with the tenant store.
    private let epoch: MembershipEpoch
    /// Keys that authenticated, by the keyed hash of their secret (never the secret itself).
    private let authenticated: EpochCache<String, APIKeyRecord>

    /// - Parameter cacheMaxAge: how long a key that authenticated is trusted without reading it
    ///   again: revoked through this store it stops at once, revoked by another replica within
    ///   this time.
    package init(
        database: any DatabaseHandle, hasher: APIKeyHasher, clock: any WallClock = SystemWallClock(),
        makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() },
        lastUsedResolution: TimeInterval = 60, epoch: MembershipEpoch = MembershipEpoch(),
        cacheMaxAge: Duration = TenantCache.defaultMaxAge
    ) {
        self.database = database
        self.hasher = hasher
        self.clock = clock
        self.makeID = makeID
        self.lastUsedResolution = lastUsedResolution
        self.epoch = epoch
        authenticated = EpochCache(epoch: epoch, maxAge: cacheMaxAge)
    }

    package func createKey(for user: UserID, context: ContextID?, name: String) async throws
        -> (APIKeyRecord, secret: String)
    {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(trimmed.count) else { throw StoreError.invalid("key name must be 1 to 100 characters") }
        let id = makeID()
        let now = clock.now()
        let secret = APIKeyHasher.makeSecret()
        let prefix = String(secret.prefix(APIKeyHasher.prefixLength))
        let hash = hasher.hash(secret)
        try await mapErrors {
            try await database.transaction { db in
                try await SQLTenantStore.requireUser(db, user)
                if let context {
                    try await SQLTenantStore.requireContext(db, context)
                    let member = try await db.select().column("role").from("context_members")
                        .where("user_id", .equal, SQLBind(user.rawValue))
                        .where("context_id", .equal, SQLBind(context.rawValue)).first()
                    if member == nil {
                        throw StoreError.invalid("user \(user) is not a member of context \(context)")
                    }
                }
                try await db.insert(into: "api_keys")
                    .columns("id", "user_id", "context_id", "name", "prefix", "secret_hash", "created_at")
                    .values(
                        SQLBind(id), SQLBind(user.rawValue), SQLBind(context?.rawValue), SQLBind(trimmed), SQLBind(prefix),
                        SQLBind(hash), SQLBind(now.microsecondsSince1970)
                    ).run()
            }
        }
        let record = APIKeyRecord(
            id: id, userID: user, contextID: context, name: trimmed, prefix: prefix,
            createdAt: Date(microsecondsSince1970: now.microsecondsSince1970))
        return (record, secret)
    }

    package func authenticate(_ secret: String) async throws -> APIKeyRecord? {
        guard secret.hasPrefix(APIKeyHasher.scheme), secret.count > APIKeyHasher.prefixLength, secret.count <= 128 else {
            return nil
        }
        let prefix = String(secret.prefix(APIKeyHasher.prefixLength))
        let hash = hasher.hash(secret)
        return try await authenticated.value(for: hash) {
            try await authenticate(prefix: prefix, hash: hash)
        }
    }

    /// Reads the key with this prefix, and accepts it when its stored hash is `hash`.
    private func authenticate(prefix: String, hash: String) async throws -> APIKeyRecord? {
        let row = try await mapErrors {
            try await database.read { db in
                try await db.select().columns("*").from("api_keys").where("prefix", .equal, SQLBind(prefix)).first()
            }
        }
        guard let row else { return nil }
        let stored = try row.decode(column: "secret_hash", as: String.self)
        guard constantTimeEquals(hash, stored) else { return nil }
        let record = try Self.decode(row)
        guard record.revokedAt == nil else { return nil }
        let now = clock.now()
        if record.lastUsedAt.map({ now.timeIntervalSince($0) >= lastUsedResolution }) ?? true {
            try await mapErrors {
                try await database.write { db in
                    try await db.update("api_keys").set("last_used_at", to: SQLBind(now.microsecondsSince1970))
                        .where("id", .equal, SQLBind(record.id)).run()
                }
            }
        }
        return record
    }

    package func keys(of user: UserID?) async throws -> [APIKeyRecord] {
        let rows = try await mapErrors {
            try await database.read { db in
                var query = db.select().columns("*").from("api_keys")
                if let user { query = query.where("user_id", .equal, SQLBind(user.rawValue)) }
                return try await query.orderBy("created_at", .descending).all()
            }
        }
        return try rows.map(Self.decode)
    }

    package func revoke(_ id: String, at time: Date) async throws -> APIKeyRecord {
        defer { epoch.advance() }  // drops every cached authentication
        let row = try await mapErrors {
            try await database.transaction { db -> (any SQLRow)? in
                try await db.update("api_keys").set("revoked_at", to: SQLBind(time.microsecondsSince1970))
                    .where("id", .equal, SQLBind(id)).where("revoked_at", .is, SQLLiteral.null).run()
                return try await db.select().columns("*").from("api_keys").where("id", .equal, SQLBind(id)).first()
            }
        }
        guard let row else { throw StoreError.notFound("API key \(id)") }
        return try Self.decode(row)
    }

    static func decode(_ row: any SQLRow) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row.decode(column: "id", as: String.self),
            userID: UserID(try row.decode(column: "user_id", as: String.self)),
            contextID: try row.decode(column: "context_id", as: String?.self).map { ContextID($0) },
            name: try row.decode(column: "name", as: String.self),
            prefix: try row.decode(column: "prefix", as: String.self),
            createdAt: Date(microsecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            lastUsedAt: try row.decode(column: "last_used_at", as: Int64?.self).map(Date.init(microsecondsSince1970:)),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Date.init(microsecondsSince1970:)))
    }
}
