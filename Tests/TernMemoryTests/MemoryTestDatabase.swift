import Foundation
import Logging
import SQLKit
import TernCore
import TernStore

/// Where a memory test runs: SQLite always, PostgreSQL (with pgvector) when
/// `TERN_TEST_POSTGRES_URL` is set, each on a fresh, migrated database with a second context.
enum MemoryBackend: String, CaseIterable, Sendable {
    case sqlite, postgres

    static var allCases: [MemoryBackend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    static let postgresURL: String? = {
        let value = ProcessInfo.processInfo.environment["TERN_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }()

    /// The context beside the default one.
    static let contextB: ContextID = "00000000-0000-0000-0000-0000000000b2"

    static let logger: Logger = {
        var logger = Logger(label: "tern.test.memory")
        logger.logLevel = .warning
        return logger
    }()

    /// Runs `body` on a fresh database of this backend, removed afterwards.
    func withDatabase(_ body: (any DatabaseHandle) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-memory-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
            let database = try await SQLiteDatabase.open(path: directory.appendingPathComponent("tern.sqlite").path)
            try await Self.use(database, body)
        case .postgres:
            guard let adminURL = Self.postgresURL else { return }
            var url = try PostgresURL(parsing: adminURL)
            let name = "tern_memory_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
            url.database = name
            url.connectTimeout = .seconds(30)
            let admin = try await PostgresDatabase.open(url: adminURL, logger: Self.logger, maximumConnections: 1)
            // The name is ours (hex digits), so splicing it into DDL is safe.
            try await admin.write { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            var failure: (any Error)?
            do {
                let database = try await PostgresDatabase.open(url: url.secretURLString, logger: Self.logger, maximumConnections: 4)
                try await Self.use(database, body)
            } catch {
                failure = error
            }
            try await admin.write { db in try await db.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run() }
            try await admin.close()
            if let failure { throw failure }
        }
    }

    private static func use(_ database: any DatabaseHandle, _ body: (any DatabaseHandle) async throws -> Void) async throws {
        do {
            try await Migrator(database: database, logger: logger).migrate()
            try await database.write { db in
                try await db.raw("INSERT INTO contexts (id, name, created_at) VALUES (\(bind: contextB.rawValue), 'b', 0)").run()
            }
            try await body(database)
        } catch {
            try await database.close()
            throw error
        }
        try await database.close()
    }
}
