import SQLKit
import TernCore

/// ``StoreHealth`` for any ``DatabaseHandle``: a `SELECT 1` on a reader.
package struct DatabaseHealth: StoreHealth {
    private let database: any DatabaseHandle

    package init(database: any DatabaseHandle) {
        self.database = database
    }

    package func ping() async throws {
        try await mapErrors {
            try await database.read { db in try await db.raw("SELECT 1").run() }
        }
    }
}
