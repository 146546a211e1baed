package import Foundation
import SQLKit
package import TernCore

/// ``LoginLinkStore`` on SQLKit: single-use links stored as keyed hashes of their tokens.
package struct SQLLoginLinkStore: LoginLinkStore {
    private let database: any DatabaseHandle
    private let hasher: APIKeyHasher
    private let clock: any WallClock

    package init(database: any DatabaseHandle, hasher: APIKeyHasher, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.hasher = hasher
        self.clock = clock
    }

    package func createLoginLink(for user: UserID, expiresAt: Date) async throws -> String {
        let token = AdminSession.makeToken()
        let now = clock.now().microsecondsSince1970
        try await mapErrors {
            try await database.transaction { db in
                try await SQLTenantStore.requireUser(db, user)
                // Old links of anyone, used or expired, are of no further use.
                try await db.delete(from: "admin_login_links").where("expires_at", .lessThan, SQLBind(now)).run()
                try await db.insert(into: "admin_login_links")
                    .columns("token_hash", "user_id", "created_at", "expires_at")
                    .values(
                        SQLBind(hasher.hash(token)), SQLBind(user.rawValue), SQLBind(now),
                        SQLBind(expiresAt.microsecondsSince1970)
                    ).run()
            }
        }
        return token
    }

    package func redeemLoginLink(_ token: String) async throws -> LoginLinkRedemption {
        guard (20...128).contains(token.count) else { return .unknown }
        let hash = hasher.hash(token)
        let now = clock.now().microsecondsSince1970
        return try await mapErrors {
            try await database.write { db in
                // One statement: of two concurrent openings exactly one sees the row unused.
                let used = try await db.update("admin_login_links").set("used_at", to: SQLBind(now))
                    .where("token_hash", .equal, SQLBind(hash)).where("used_at", .is, SQLLiteral.null)
                    .where("expires_at", .greaterThan, SQLBind(now))
                    .returning("user_id").first()
                if let used { return .user(UserID(try used.decode(column: "user_id", as: String.self))) }
                let row = try await db.select().columns("used_at").from("admin_login_links")
                    .where("token_hash", .equal, SQLBind(hash)).first()
                guard let row else { return .unknown }
                return try row.decode(column: "used_at", as: Int64?.self) == nil ? .expired : .used
            }
        }
    }
}
