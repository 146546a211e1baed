import SQLKit
import TernCore

/// The database's applied schema version: the newest migration recorded in `schema_migrations`
/// (by ``Migrator``), for diagnostics.
package enum SchemaVersion {
    /// The newest applied version; `nil` before any migration ran.
    package static func current(_ database: any DatabaseHandle) async throws -> Int? {
        try await mapErrors {
            try await database.read { db in
                try await db.raw("SELECT MAX(version) AS version FROM schema_migrations").first()?
                    .decode(column: "version", as: Int?.self)
            }
        }
    }
}
