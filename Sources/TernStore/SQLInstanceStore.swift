package import Foundation
import SQLKit
package import TernCore

/// ``InstanceStore`` on SQLKit (`instances`); the same statements serve SQLite and PostgreSQL.
package struct SQLInstanceStore: InstanceStore {
    private let database: any DatabaseHandle

    package init(database: any DatabaseHandle) {
        self.database = database
    }

    package func beat(_ instance: InstanceID, at time: Date) async throws {
        let now = time.microsecondsSince1970
        try await mapErrors {
            try await database.write { db in
                try await db.insert(into: "instances")
                    .columns("id", "started_at", "last_seen_at")
                    .values(SQLBind(instance.rawValue), SQLBind(now), SQLBind(now))
                    .onConflict(with: ["id"]) { update in update.set(excludedValueOf: "last_seen_at") }
                    .run()
            }
        }
    }

    package func remove(_ instance: InstanceID) async throws {
        try await mapErrors {
            try await database.write { db in
                try await db.delete(from: "instances").where("id", .equal, SQLBind(instance.rawValue)).run()
            }
        }
    }

    package func prune(notSeenSince cutoff: Date) async throws -> Int {
        try await mapErrors {
            try await database.write { db in
                try await db.delete(from: "instances")
                    .where("last_seen_at", .lessThan, SQLBind(cutoff.microsecondsSince1970))
                    .returning("id")
                    .all()
                    .count
            }
        }
    }
}
