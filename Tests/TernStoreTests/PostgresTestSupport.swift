import Foundation
import Logging
import SQLKit
import TernCore
import TernStore

// Throwaway PostgreSQL databases for tests.
//
// `scripts/test` starts a PostgreSQL cluster and sets TERN_TEST_POSTGRES_URL to an admin URL
// (a user that may CREATE DATABASE, connected to the `postgres` database). Each test gets a
// database of its own, `tern_test_<random>`, created from that URL and dropped afterwards, so
// tests run in parallel without seeing each other's rows. Without the variable the PostgreSQL
// cases are left out (scripts/test warns; CI fails instead).
//
// Other test targets can copy `withTemporaryPostgres` (and `PostgresTestServer`) as they are: they
// use only TernStore's package API.

/// The PostgreSQL server the tests may use, from `TERN_TEST_POSTGRES_URL`.
enum PostgresTestServer {
    /// The admin URL, or `nil` when PostgreSQL tests are off.
    static let adminURL: String? = {
        let value = ProcessInfo.processInfo.environment["TERN_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }()

    /// Whether PostgreSQL tests run.
    static var isAvailable: Bool { adminURL != nil }

    /// Pools in tests stay small: many tests run at once against one server.
    static let maximumConnections = 4

    /// Quiet unless a test run asks for more.
    static let logger: Logger = {
        var logger = Logger(label: "tern.test.postgres")
        logger.logLevel = .warning
        return logger
    }()
}

/// A fresh, empty PostgreSQL database `tern_test_<random>` for `body`, migrated unless
/// `migrate` is false, dropped afterwards (also when `body` throws).
///
/// `body` also receives the database's URL, to open more handles to it (e.g. to act as
/// several replicas). Throws if `TERN_TEST_POSTGRES_URL` is not set.
func withTemporaryPostgres(
    migrate: Bool = true, _ body: (PostgresDatabase, _ url: String) async throws -> Void
) async throws {
    guard let adminURLString = PostgresTestServer.adminURL else {
        throw StoreError.database("TERN_TEST_POSTGRES_URL is not set")
    }
    var url = try PostgresURL(parsing: adminURLString)
    let name = "tern_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    url.database = name
    // The whole suite opens hundreds of these at once on two loaded cores: a connection may take
    // longer than the 5 s a server gets by default (tests of the timeout itself set their own).
    url.connectTimeout = .seconds(30)
    var adminURL = try PostgresURL(parsing: adminURLString)
    adminURL.connectTimeout = .seconds(30)
    let admin = try await PostgresDatabase.open(
        url: adminURL.secretURLString, logger: PostgresTestServer.logger, maximumConnections: 1)
    do {
        // The name is ours (hex digits), so splicing it into DDL is safe.
        try await admin.write { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        do {
            let database = try await PostgresDatabase.open(
                url: url.secretURLString, logger: PostgresTestServer.logger,
                maximumConnections: PostgresTestServer.maximumConnections)
            do {
                if migrate { try await Migrator(database: database, logger: PostgresTestServer.logger).migrate() }
                try await body(database, url.secretURLString)
                try await database.close()
            } catch {
                try await database.close()
                throw error
            }
            try await dropDatabase(name, admin: admin)
        } catch {
            try await dropDatabase(name, admin: admin)
            throw error
        }
        try await admin.close()
    } catch {
        try await admin.close()
        throw error
    }
}

/// Drops a test database; `WITH (FORCE)` ends connections a failed test may have left open.
private func dropDatabase(_ name: String, admin: PostgresDatabase) async throws {
    try await admin.write { db in
        try await db.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run()
    }
}
