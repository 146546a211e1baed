package import Foundation
import SQLKit
package import TernCore

/// ``PortalFormTokenStore`` on SQLKit: tokens as keyed hashes (``APIKeyHasher``), claimed with
/// `INSERT … ON CONFLICT DO NOTHING`, so of two posts of one form exactly one is ``FormTokenClaim/fresh``.
package struct SQLPortalFormTokenStore: PortalFormTokenStore {
    /// How long a used token is remembered.
    package static let lifetime: TimeInterval = 24 * 3600

    private let database: any DatabaseHandle
    private let hasher: APIKeyHasher
    private let clock: any WallClock

    package init(database: any DatabaseHandle, hasher: APIKeyHasher, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.hasher = hasher
        self.clock = clock
    }

    package func claim(_ token: String, session: String) async throws -> FormTokenClaim {
        let hash = hasher.hash(token)
        let now = clock.now().microsecondsSince1970
        let cutoff = now - Int64(Self.lifetime * 1_000_000)
        let row = try await mapErrors {
            try await database.transaction { db -> (any SQLRow)? in
                try await db.delete(from: "portal_form_tokens").where("created_at", .lessThan, SQLBind(cutoff)).run()
                let inserted = try await db.raw(
                    """
                    INSERT INTO portal_form_tokens (token_hash, session_id, created_at) \
                    VALUES (\(bind: hash), \(bind: session), \(bind: now)) \
                    ON CONFLICT (token_hash) DO NOTHING RETURNING token_hash
                    """
                ).all()
                if !inserted.isEmpty { return nil }
                return try await db.select().columns("session_id", "location").from("portal_form_tokens")
                    .where("token_hash", .equal, SQLBind(hash)).first()
            }
        }
        guard let row else { return .fresh }
        guard try row.decode(column: "session_id", as: String.self) == session else { return .foreign }
        if let location = try row.decode(column: "location", as: String?.self) { return .done(location: location) }
        return .inProgress
    }

    package func complete(_ token: String, location: String) async throws {
        let hash = hasher.hash(token)
        try await mapErrors {
            try await database.write { db in
                try await db.update("portal_form_tokens").set("location", to: SQLBind(location))
                    .where("token_hash", .equal, SQLBind(hash)).run()
            }
        }
    }

    package func release(_ token: String) async throws {
        let hash = hasher.hash(token)
        try await mapErrors {
            try await database.write { db in
                try await db.delete(from: "portal_form_tokens").where("token_hash", .equal, SQLBind(hash))
                    .where("location", .is, SQLLiteral.null).run()
            }
        }
    }
}
