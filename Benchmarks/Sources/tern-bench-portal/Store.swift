import Foundation
import Logging
import SQLKit
import TernStore

/// Runs `body` with the environment that points Tern at the benchmark's store and a fresh data
/// directory: SQLite in that directory, or a fresh PostgreSQL database made with `--postgres`'s
/// admin URL; the directory is removed and the database dropped afterwards.
func withBenchStore(
    _ options: PortalBenchOptions, _ body: (_ environment: [String: String], _ directory: String) async throws -> Void
) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-bench-portal-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer {
        do { try FileManager.default.removeItem(at: directory) } catch {
            FileHandle.standardError.write(Data("tern-bench-portal: could not remove \(directory.path): \(error)\n".utf8))
        }
    }
    guard let admin = options.postgres else { return try await body([:], directory.path) }
    var logger = Logger(label: "tern.bench.portal")
    logger.logLevel = .warning
    var url = try PostgresURL(parsing: admin)
    let server = try await PostgresDatabase.open(url: url.secretURLString, logger: logger, maximumConnections: 1)
    let name = "tern_bench_portal_\(UInt32.random(in: 0...UInt32.max))"
    var failure: (any Error)?
    do {
        try await server.write { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        url.database = name
        do { try await body(["TERN_DATABASE_URL": url.secretURLString], directory.path) } catch { failure = error }
        try await server.write { db in try await db.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run() }
    } catch { failure = failure ?? error }
    try await server.close()
    if let failure { throw failure }
}
