import Logging
import SQLKit
import Testing
import TernStore
import TernTesting

/// What ``PostgresDatabase`` logs per statement: the SQL at trace level, nothing above it.
@Suite(.timeLimit(.minutes(1))) struct PostgresSessionTests {
    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func statements_areLoggedAtTraceLevel_andNotAboveIt() async throws {
        try await withTemporaryPostgres { (_, url) async throws in
            #expect(try await statementsLogged(at: .trace, url: url).contains { $0.contains("SELECT 42") })
            #expect(try await statementsLogged(at: .debug, url: url).isEmpty)
            #expect(try await statementsLogged(at: .info, url: url).isEmpty)
        }
    }

    /// Runs `SELECT 42` through a fresh handle logging at `level`; the SQL the log received.
    private func statementsLogged(at level: Logger.Level, url: String) async throws -> [String] {
        let log = SQLStatementLog()
        var logger = log.logger(label: "tern.test.postgres.statements")
        logger.logLevel = level
        let database = try await PostgresDatabase.open(url: url, logger: logger, maximumConnections: 1)
        do {
            _ = try await database.read { db in try await db.raw("SELECT 42 AS n").first() }
            try await database.close()
        } catch {
            try await database.close()
            throw error
        }
        return log.drain()
    }
}
