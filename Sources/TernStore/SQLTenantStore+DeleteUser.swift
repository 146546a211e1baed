import Foundation
import SQLKit
package import TernCore

extension SQLTenantStore {
    package func deleteUser(_ user: UserID) async throws -> [String] {
        guard user != .localUser else {
            throw StoreError.invalid(
                "the built-in local user cannot be deleted (keyless loopback callers and the CLI act as it); "
                    + "make it a plain user with set-role instead")
        }
        let dialect = database.dialect
        let contexts: [String] = try await mapErrors {
            try await database.transaction { db in
                try await Self.requireUser(db, user)
                try await Self.requireAnotherAdmin(db, dialect: dialect, besides: user, change: "deleted")
                // Personal contexts nobody else can reach any more go with their owner.
                let orphans = try await db.raw(
                    """
                    SELECT c.id, c.name FROM contexts c JOIN context_members m ON m.context_id = c.id
                    WHERE m.user_id = \(bind: user.rawValue) AND c.kind = \(bind: ContextKind.personal.rawValue)
                        AND c.id <> \(bind: ContextID.defaultContext.rawValue)
                        AND NOT EXISTS (
                            SELECT 1 FROM context_members o WHERE o.context_id = c.id AND o.user_id <> \(bind: user.rawValue))
                    ORDER BY c.name
                    """
                ).all()
                var names: [String] = []
                for row in orphans {
                    let id = try row.decode(column: "id", as: String.self)
                    try await db.delete(from: "contexts").where("id", .equal, SQLBind(id)).run()
                    names.append(try row.decode(column: "name", as: String.self))
                }
                try await db.delete(from: "users").where("id", .equal, SQLBind(user.rawValue)).run()
                return names
            }
        }
        epoch.advance()
        return contexts
    }
}
