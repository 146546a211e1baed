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

/// A fresh PostgreSQL database `tern_test_<random>` for `body`, migrated (a copy of
/// ``PostgresTemplate``) unless `migrate` is false (then empty), dropped afterwards (also when
/// `body` throws).
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
        // The names are ours (hex digits), so splicing them into DDL is safe.
        if migrate {
            let template = try await PostgresTemplate.shared.name(admin: admin, adminURL: adminURL)
            try await admin.write { db in
                try await db.raw("CREATE DATABASE \(unsafeRaw: name) TEMPLATE \(unsafeRaw: template)").run()
            }
        } else {
            try await admin.write { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        }
        do {
            let database = try await PostgresDatabase.open(
                url: url.secretURLString, logger: PostgresTestServer.logger,
                maximumConnections: PostgresTestServer.maximumConnections)
            do {
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

/// One migrated database per test process, `tern_template_<random>`, that every migrated test
/// database is copied from (`CREATE DATABASE … TEMPLATE`): running all migrations (pgvector's
/// extension among them) for each of the suite's hundreds of databases took more of two cores
/// than the tests did, and tests queued behind it ran past their time limits.
///
/// It outlives the process (nothing runs at the end of a test run): `scripts/test` deletes its
/// whole cluster; on a cluster of your own, drop the `tern_template_*` databases now and then.
actor PostgresTemplate {
    static let shared = PostgresTemplate()
    private var creation: Task<String, any Error>?

    /// The template's name, created and migrated by the first caller; later callers wait for it.
    func name(admin: PostgresDatabase, adminURL: PostgresURL) async throws -> String {
        if let creation { return try await creation.value }
        let creation = Task { try await Self.create(admin: admin, adminURL: adminURL) }
        self.creation = creation
        return try await creation.value
    }

    private static func create(admin: PostgresDatabase, adminURL: PostgresURL) async throws -> String {
        let name = "tern_template_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await admin.write { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        var url = adminURL
        url.database = name
        // Closed before anyone copies it: PostgreSQL copies only a database nobody is connected to.
        let database = try await PostgresDatabase.open(
            url: url.secretURLString, logger: PostgresTestServer.logger, maximumConnections: 1)
        do {
            try await Migrator(database: database, logger: PostgresTestServer.logger).migrate()
        } catch {
            try await database.close()
            throw error
        }
        try await database.close()
        return name
    }
}
