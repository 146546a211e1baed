import Foundation
import Logging
import SQLKit
import TernStore

/// The store a whole-server test runs on: the temporary SQLite file `Harness` makes, or (with
/// `TERN_TEST_POSTGRES_URL`, which `scripts/test` sets) a fresh PostgreSQL database that
/// `tern serve`'s own start migrates, dropped afterwards.
enum TurnBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    static var allCases: [TurnBackend] { adminURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    static let adminURL: String? = {
        let value = ProcessInfo.processInfo.environment["TERN_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }()

    var description: String { rawValue }

    /// Runs `body` with the `TERN_DATABASE_URL` to give the server: `nil` for SQLite, else an
    /// empty database `tern_http_<random>`, dropped when `body` ends (also when it throws).
    func withDatabaseURL(_ body: (String?) async throws -> Void) async throws {
        guard self == .postgres, let adminURL = Self.adminURL else { return try await body(nil) }
        var logger = Logger(label: "tern.test.postgres")
        logger.logLevel = .warning
        var url = try PostgresURL(parsing: adminURL)
        url.connectTimeout = .seconds(30)
        let admin = try await PostgresDatabase.open(url: url.secretURLString, logger: logger, maximumConnections: 1)
        // Our own hex name: safe to splice into DDL.
        let name = "tern_http_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        url.database = name
        do {
            try await admin.write { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            let outcome: Result<Void, any Error>
            do {
                try await body(url.secretURLString)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            // FORCE ends connections a failed test may have left open.
            try await admin.write { db in
                try await db.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run()
            }
            try outcome.get()
        } catch {
            try await admin.close()
            throw error
        }
        try await admin.close()
    }
}
