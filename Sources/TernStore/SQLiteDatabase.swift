import Foundation
package import Logging
package import SQLKit
import Synchronization
import TernCore

/// The embedded SQLite database: one writer connection behind an ``AsyncLock`` plus a few reader
/// connections, in WAL mode with a real busy timeout and foreign keys on.
package final class SQLiteDatabase: DatabaseHandle {
    package let dialect = SQLDialectKind.sqlite
    /// The database file.
    package let path: String
    private let writer: SQLiteHandle
    private let readers: [SQLiteHandle]
    private let writeLock = AsyncLock()
    private let nextReader = Atomic<Int>(0)
    private let logger: Logger

    private init(path: String, writer: SQLiteHandle, readers: [SQLiteHandle], logger: Logger) {
        self.path = path
        self.writer = writer
        self.readers = readers
        self.logger = logger
    }

    /// Opens (creating if needed) the database file at `path`.
    ///
    /// - Parameters:
    ///   - readerCount: reader connections besides the writer (at least 1).
    ///   - busyTimeoutMilliseconds: how long a statement waits for a lock held by another process.
    package static func open(
        path: String, readerCount: Int = 2, busyTimeoutMilliseconds: Int = 5000,
        logger: Logger = Logger(label: "tern.store.sqlite")
    ) async throws -> SQLiteDatabase {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError.database(
                    "cannot create the data directory \(directory): \(error.localizedDescription)")
            }
        }
        var opened: [SQLiteHandle] = []
        do {
            let writer = try await SQLiteHandle.open(
                path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds, logger: logger)
            opened.append(writer)
            // WAL lets readers run while the writer writes.
            try await execute(writer, "PRAGMA journal_mode = WAL")
            try await execute(writer, "PRAGMA foreign_keys = ON")
            try await execute(writer, "PRAGMA synchronous = NORMAL")
            var readers: [SQLiteHandle] = []
            for _ in 0..<max(1, readerCount) {
                let reader = try await SQLiteHandle.open(
                    path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds, logger: logger)
                opened.append(reader)
                try await execute(reader, "PRAGMA foreign_keys = ON")
                try await execute(reader, "PRAGMA query_only = ON")
                readers.append(reader)
            }
            return SQLiteDatabase(path: path, writer: writer, readers: readers, logger: logger)
        } catch {
            for connection in opened {
                do { try await connection.close() } catch {
                    logger.warning(
                        "closing SQLite connection after a failed open failed",
                        metadata: ["error": "\(error)"])
                }
            }
            if let storeError = error as? StoreError { throw storeError }
            throw StoreError.database("cannot open SQLite database at \(path): \(error)")
        }
    }

    private static func execute(_ connection: SQLiteHandle, _ sql: String) async throws {
        try await connection.query(sql, []) { _ in }
    }

    package func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        let reader = readers[index % readers.count]
        return try await body(SQLiteConnectionSQL(connection: reader))
    }

    package func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    {
        let writer = self.writer
        return try await writeLock.withLock { try await body(SQLiteConnectionSQL(connection: writer)) }
    }

    package func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    {
        let writer = self.writer
        let logger = self.logger
        return try await writeLock.withLock {
            try await Self.runTransaction(on: writer, logger: logger, body)
        }
    }

    /// Runs `body` on the writer connection, holding the write lock throughout.
    package func withSession<T: Sendable>(_ body: @Sendable (any DatabaseSession) async throws -> T)
        async throws -> T
    {
        let session = WriterSession(writer: writer, logger: logger)
        return try await writeLock.withLock { try await body(session) }
    }

    fileprivate static func runTransaction<T: Sendable>(
        on writer: SQLiteHandle, logger: Logger, _ body: @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let database = SQLiteConnectionSQL(connection: writer)
        try await database.raw("BEGIN IMMEDIATE").run()
        do {
            let result = try await body(database)
            try await database.raw("COMMIT").run()
            return result
        } catch {
            do {
                // In its own task: when the caller was cancelled (client hung up) the rollback
                // must still run, or the writer would stay inside the open transaction and every
                // later write would fail.
                try await Task { try await database.raw("ROLLBACK").run() }.value
            } catch let rollbackError {
                logger.error(
                    "rollback failed", metadata: ["error": "\(rollbackError)", "cause": "\(error)"])
            }
            throw error
        }
    }

    /// Closes every connection, each even when closing another failed (a connection left open
    /// is a crash in debug builds of SQLiteNIO), and then throws the first failure.
    package func close() async throws {
        var failure: (any Error)?
        for connection in readers + [writer] {
            do {
                try await connection.close()
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }
}

/// The writer connection of an ``SQLiteDatabase`` while ``SQLiteDatabase/withSession(_:)`` holds
/// its write lock: every statement, reads included, runs on it without taking the lock again.
private struct WriterSession: DatabaseSession {
    let dialect = SQLDialectKind.sqlite
    let writer: SQLiteHandle
    let logger: Logger

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(SQLiteConnectionSQL(connection: writer))
    }

    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(SQLiteConnectionSQL(connection: writer))
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws
        -> T
    {
        try await SQLiteDatabase.runTransaction(on: writer, logger: logger, body)
    }
}
