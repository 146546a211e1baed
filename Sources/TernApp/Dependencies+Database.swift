import Logging
import TernStore

extension Dependencies {
    /// Opens the configured database (not yet migrated). Every command that needs the database
    /// goes through here, so each backend is wired in one place.
    /// `databaseLogger` replaces the store's logger (tests record statements with it).
    static func openDatabase(
        _ config: TernConfig, logger: Logger, databaseLogger: Logger? = nil
    ) async throws -> any DatabaseHandle {
        switch config.database {
        case .sqlite(let path):
            try await SQLiteDatabase.open(path: path, logger: databaseLogger ?? logger.labelled("tern.store"))
        case .postgres(let url):
            try await PostgresDatabase.open(url: url, logger: databaseLogger ?? logger.labelled("tern.store.postgres"))
        }
    }
}
