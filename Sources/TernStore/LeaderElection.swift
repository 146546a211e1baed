import Logging
import SQLKit

/// Lets one process of several run a job (the Telegram poller, the scheduler): on PostgreSQL the
/// holder of a session-level advisory lock is the leader; the others wait and take over when its
/// connection ends (the lock dies with it). On SQLite there is one process: it leads at once.
package struct LeaderElection: Sendable {
    /// The advisory lock of the Telegram poller ("terntgrm" in ASCII).
    package static let telegramKey: Int64 = 0x7465_726E_7467_726D

    private let database: any DatabaseHandle
    private let key: Int64
    private let retry: Duration
    private let logger: Logger

    package init(database: any DatabaseHandle, key: Int64, retry: Duration = .seconds(5), logger: Logger) {
        self.database = database
        self.key = key
        self.retry = retry
        self.logger = logger
    }

    /// Runs `body` once this process leads, holding the lock until `body` returns.
    /// - Parameter sleep: waits between attempts; throws to give up (e.g. on shutdown).
    package func run(
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        guard database.dialect == .postgres else { return try await body() }
        let key = self.key
        let retry = self.retry
        let logger = self.logger
        try await database.withSession { session in
            var announced = false
            while true {
                let row = try await session.write { db in
                    try await db.raw("SELECT pg_try_advisory_lock(\(bind: key)) AS locked").first()
                }
                if try row?.decode(column: "locked", as: Bool.self) == true { break }
                if !announced {
                    logger.info("another replica leads; waiting to take over", metadata: ["lock": "\(key)"])
                    announced = true
                }
                try await sleep(retry)
            }
            logger.info("leading", metadata: ["lock": "\(key)"])
            do {
                try await body()
            } catch {
                await Self.release(key, on: session, logger: logger)
                throw error
            }
            await Self.release(key, on: session, logger: logger)
        }
    }

    /// A failed unlock is logged: the lock ends with the session's connection anyway.
    private static func release(_ key: Int64, on session: any DatabaseSession, logger: Logger) async {
        do {
            try await session.write { db in try await db.raw("SELECT pg_advisory_unlock(\(bind: key))").run() }
        } catch {
            logger.warning("could not release the leader lock", metadata: ["lock": "\(key)", "error": "\(error)"])
        }
    }
}
