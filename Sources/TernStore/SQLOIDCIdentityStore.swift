import Foundation
import SQLKit
package import TernCore

/// ``OIDCIdentityStore`` on SQLKit: the `oidc_identities` table, primary key `(issuer, subject)`.
package struct SQLOIDCIdentityStore: OIDCIdentityStore {
    private let database: any DatabaseHandle
    private let clock: any WallClock

    package init(database: any DatabaseHandle, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.clock = clock
    }

    package func user(issuer: String, subject: String) async throws -> UserID? {
        let now = clock.now().microsecondsSince1970
        let row = try await mapErrors {
            try await database.write { db in
                try await db.update("oidc_identities").set("last_login_at", to: SQLBind(now))
                    .where("issuer", .equal, SQLBind(issuer)).where("subject", .equal, SQLBind(subject))
                    .returning("user_id").first()
            }
        }
        return try row.map { UserID(try $0.decode(column: "user_id", as: String.self)) }
    }

    package func link(issuer: String, subject: String, to user: UserID) async throws {
        let now = clock.now().microsecondsSince1970
        let inserted = try await mapErrors {
            try await database.transaction { db in
                try await SQLTenantStore.requireUser(db, user)
                return try await db.insert(into: "oidc_identities")
                    .columns("issuer", "subject", "user_id", "created_at", "last_login_at")
                    .values(SQLBind(issuer), SQLBind(subject), SQLBind(user.rawValue), SQLBind(now), SQLBind(now))
                    .ignoringConflicts(with: ["issuer", "subject"])
                    .returning("user_id").all().count
            }
        }
        if inserted == 0 { throw StoreError.conflict("the account \(subject) of \(issuer) is already linked to a user") }
    }
}
