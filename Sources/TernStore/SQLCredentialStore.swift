import Foundation
import SQLKit
package import TernCore

/// ``CredentialStore`` on SQLKit; the same queries serve SQLite and PostgreSQL. Every statement
/// but the rotation scan is scoped by `context_id`.
package struct SQLCredentialStore: CredentialStore {
    private let database: any DatabaseHandle
    private let clock: MonotonicMicroseconds

    /// - Parameter clock: the time source for `created_at` and `updated_at`.
    package init(database: any DatabaseHandle, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.clock = MonotonicMicroseconds(clock: clock)
    }

    package func credentials(in context: ContextID) async throws -> [Credential] {
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.select().columns(Self.listed).from("credentials")
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .all()
            }
        }
        // Sorted here, by bytes: PostgreSQL would order text by its locale.
        return try rows.map(Self.decode).sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    package func credentials(in contexts: Set<ContextID>) async throws -> [ContextID: [Credential]] {
        if contexts.isEmpty { return [:] }
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.select().columns(Self.listed).from("credentials")
                    .where("context_id", .in, SQLBind.group(contexts.map(\.rawValue).sorted()))
                    .all()
            }
        }
        return try Dictionary(grouping: rows.map(Self.decode), by: \.contextID).mapValues { credentials in
            credentials.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        }
    }

    package func sealedCredential(named name: String, in context: ContextID) async throws -> SealedCredential? {
        let row = try await mapErrors {
            try await database.read { db in
                try await db.select().columns(Self.listed + ["sealed_value"]).from("credentials")
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .where("name", .equal, SQLBind(name))
                    .first()
            }
        }
        return try row.map(Self.decodeSealed)
    }

    package func put(named name: String, sealed: SealedSecret, by user: UserID?, in context: ContextID) async throws
        -> (credential: Credential, created: Bool)
    {
        if let problem = CredentialName.problem(with: name) { throw StoreError.invalid(problem) }
        let now = clock.next()
        return try await mapErrors {
            try await database.transaction { db in
                // Checked first so an unknown context reads the same on SQLite and PostgreSQL.
                try await SQLTenantStore.requireContext(db, context)
                let existing = try await db.select().columns(Self.listed).from("credentials")
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .where("name", .equal, SQLBind(name))
                    .first()
                if let existing {
                    var credential = try Self.decode(existing)
                    try await db.update("credentials")
                        .set("key_id", to: SQLBind(sealed.keyID))
                        .set("sealed_value", to: SQLBind(sealed.combined.base64EncodedString()))
                        .set("updated_at", to: SQLBind(now))
                        .where("context_id", .equal, SQLBind(context.rawValue))
                        .where("name", .equal, SQLBind(name))
                        .run()
                    credential.keyID = sealed.keyID
                    credential.updatedAt = Date(microsecondsSince1970: now)
                    return (credential, false)
                }
                try await db.insert(into: "credentials")
                    .columns("context_id", "name", "key_id", "sealed_value", "created_by", "created_at", "updated_at")
                    .values(
                        SQLBind(context.rawValue), SQLBind(name), SQLBind(sealed.keyID),
                        SQLBind(sealed.combined.base64EncodedString()), SQLBind(user?.rawValue), SQLBind(now), SQLBind(now)
                    )
                    .run()
                let at = Date(microsecondsSince1970: now)
                return (
                    Credential(contextID: context, name: name, keyID: sealed.keyID, createdAt: at, updatedAt: at, createdBy: user),
                    true
                )
            }
        }
    }

    package func delete(named name: String, in context: ContextID) async throws {
        let removed = try await mapErrors {
            try await database.write { db in
                try await db.delete(from: "credentials")
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .where("name", .equal, SQLBind(name))
                    .returning("name")
                    .all()
            }
        }
        if removed.isEmpty { throw StoreError.notFound("credential '\(name)'") }
    }

    package func allSealed() async throws -> [SealedCredential] {
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.select().columns(Self.listed + ["sealed_value"]).from("credentials")
                    .orderBy("context_id").orderBy("name")
                    .all()
            }
        }
        return try rows.map(Self.decodeSealed)
    }

    package func reseal(named name: String, in context: ContextID, from expected: SealedSecret, to new: SealedSecret)
        async throws -> Bool
    {
        let changed = try await mapErrors {
            try await database.write { db in
                try await db.update("credentials")
                    .set("key_id", to: SQLBind(new.keyID))
                    .set("sealed_value", to: SQLBind(new.combined.base64EncodedString()))
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .where("name", .equal, SQLBind(name))
                    .where("key_id", .equal, SQLBind(expected.keyID))
                    .where("sealed_value", .equal, SQLBind(expected.combined.base64EncodedString()))
                    .returning("name")
                    .all()
            }
        }
        return !changed.isEmpty
    }

    private static let listed = ["context_id", "name", "key_id", "created_by", "created_at", "updated_at"]

    private static func decode(_ row: any SQLRow) throws -> Credential {
        Credential(
            contextID: ContextID(try row.decode(column: "context_id", as: String.self)),
            name: try row.decode(column: "name", as: String.self),
            keyID: try row.decode(column: "key_id", as: String.self),
            createdAt: Date(microsecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Date(microsecondsSince1970: try row.decode(column: "updated_at", as: Int64.self)),
            createdBy: try row.decode(column: "created_by", as: String?.self).map { UserID($0) })
    }

    private static func decodeSealed(_ row: any SQLRow) throws -> SealedCredential {
        let credential = try decode(row)
        let text = try row.decode(column: "sealed_value", as: String.self)
        guard let combined = Data(base64Encoded: text) else {
            throw StoreError.database("credential '\(credential.name)' has a sealed value that is not base64")
        }
        return SealedCredential(credential: credential, sealed: SealedSecret(keyID: credential.keyID, combined: combined))
    }
}
