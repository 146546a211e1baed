import Foundation
import SQLKit
import Testing
import TernCore
@testable import TernStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// PostgreSQL-specific behaviour: connection errors, error mapping, the migration lock. The
/// store contracts themselves run on PostgreSQL in ConversationStoreContractTests.
@Suite(.timeLimit(.minutes(1))) struct PostgresDatabaseTests {
    static let password = "s3cret-Pa55word"

    @Test func open_closedPort_failsWithTheAddressButNotThePassword() async throws {
        let socket = try LoopbackSocket(listening: false)
        defer { socket.close() }
        let url = "postgres://tern:\(Self.password)@127.0.0.1:\(socket.port)/tern"
        await #expect {
            _ = try await PostgresDatabase.open(url: url)
        } throws: { error in
            let text = "\(error)"
            return error is StoreError && text.contains("cannot connect to PostgreSQL at 127.0.0.1:\(socket.port)/tern")
                && !text.contains(Self.password)
        }
    }

    @Test func open_serverThatNeverAnswers_failsAfterTheConnectTimeout() async throws {
        let socket = try LoopbackSocket(listening: true)
        defer { socket.close() }
        let url = "postgres://tern:\(Self.password)@127.0.0.1:\(socket.port)/tern?connect_timeout=1"
        await #expect {
            _ = try await PostgresDatabase.open(url: url)
        } throws: { error in
            let text = "\(error)"
            return text.contains("cannot connect to PostgreSQL at 127.0.0.1:\(socket.port)/tern")
                && text.lowercased().contains("timeout") && !text.contains(Self.password)
        }
    }

    @Test func open_invalidURL_namesTheProblemButNotThePassword() async throws {
        await #expect {
            _ = try await PostgresDatabase.open(url: "postgres://tern:\(Self.password)@/tern")
        } throws: { error in
            "\(error)".contains("has no host") && !"\(error)".contains(Self.password)
        }
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func open_wrongPassword_givesTheServersReason() async throws {
        var url = try PostgresURL(parsing: try #require(PostgresTestServer.adminURL))
        url.password = Self.password
        await #expect {
            _ = try await PostgresDatabase.open(url: url.secretURLString)
        } throws: { error in
            let text = "\(error)"
            return text.contains("password authentication failed") && !text.contains(Self.password)
        }
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func open_unknownDatabase_saysItDoesNotExist() async throws {
        var url = try PostgresURL(parsing: try #require(PostgresTestServer.adminURL))
        url.database = "tern_no_such_database"
        await #expect {
            _ = try await PostgresDatabase.open(url: url.secretURLString)
        } throws: { error in
            "\(error)".contains("database \"tern_no_such_database\" does not exist")
        }
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func uniqueViolation_isAConflict_andOtherErrorsNameTheSQLState() async throws {
        try await withTemporaryPostgres { database, _ in
            await #expect {
                try await database.write { db in
                    try await db.raw("INSERT INTO contexts (id, name, created_at) VALUES ('x', 'default', 0)").run()
                }
            } throws: { error in
                guard case .conflict(let message) = error as? StoreError else { return false }
                return message.contains("contexts_name_key")
            }
            await #expect {
                try await database.read { db in try await db.raw("SELEC 1").run() }
            } throws: { error in
                guard case .database(let message) = error as? StoreError else { return false }
                return message.contains("syntax error") && message.contains("SQLSTATE 42601")
            }
            // The failed statements left the pool usable.
            let row = try await database.read { db in try await db.raw("SELECT COUNT(*) AS n FROM contexts").first() }
            #expect(try row?.decode(column: "n", as: Int.self) == 1)
        }
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func transaction_thatThrows_isRolledBack() async throws {
        try await withTemporaryPostgres { database, _ in
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await database.transaction { db in
                    try await db.raw("INSERT INTO contexts (id, name, created_at) VALUES ('t', 'temp', 0)").run()
                    throw Abort()
                }
            }
            let row = try await database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM contexts WHERE id = 't'").first()
            }
            #expect(try row?.decode(column: "n", as: Int.self) == 0)
        }
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func closedDatabase_failsCallsInsteadOfHanging() async throws {
        try await withTemporaryPostgres { _, url in
            let database = try await PostgresDatabase.open(url: url, logger: PostgresTestServer.logger)
            try await database.close()
            try await database.close()  // twice is fine
            await #expect(throws: StoreError.self) {
                try await database.read { db in try await db.raw("SELECT 1").run() }
            }
        }
    }

    /// Several replicas starting at once: each migration is applied exactly once, nobody fails,
    /// and the advisory lock is released afterwards.
    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func concurrentMigrators_applyEachMigrationOnce() async throws {
        try await withTemporaryPostgres(migrate: false) { _, url in
            let replicas = 6
            var handles: [PostgresDatabase] = []
            do {
                for _ in 0..<replicas {
                    handles.append(
                        try await PostgresDatabase.open(url: url, logger: PostgresTestServer.logger, maximumConnections: 2))
                }
                let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                    for handle in handles {
                        group.addTask { try await Migrator(database: handle, logger: PostgresTestServer.logger).migrate() }
                    }
                    return try await group.reduce(into: [Int]()) { $0 += $1 }
                }
                #expect(applied.sorted() == Migration.all.map(\.version))
                let check = handles[0]
                let recorded = try await check.read { db in
                    try await db.raw("SELECT version FROM schema_migrations ORDER BY version").all()
                }.map { try $0.decode(column: "version", as: Int.self) }
                #expect(recorded == Migration.all.map(\.version))
                let locks = try await check.read { db in
                    try await db.raw(
                        """
                        SELECT COUNT(*) AS n FROM pg_locks
                        WHERE locktype = 'advisory'
                          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                        """
                    ).first()
                }
                #expect(try locks?.decode(column: "n", as: Int.self) == 0)
                #expect(try await Migrator(database: check, logger: PostgresTestServer.logger).migrate().isEmpty)
            } catch {
                for handle in handles { try await handle.close() }
                throw error
            }
            for handle in handles { try await handle.close() }
        }
    }
}

/// A TCP socket bound to a free port on 127.0.0.1. Not listening: connecting is refused.
/// Listening: the kernel accepts connections, and nobody ever answers on them.
final class LoopbackSocket: Sendable {
    let port: Int
    private let descriptor: Int32

    init(listening: Bool) throws {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw StoreError.database("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, !listening || listen(descriptor, 16) == 0 else {
            let code = errno
            closeDescriptor(descriptor)
            throw StoreError.database("bind/listen on 127.0.0.1 failed: errno \(code)")
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else {
            closeDescriptor(descriptor)
            throw StoreError.database("getsockname failed: errno \(errno)")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        closeDescriptor(descriptor)
    }
}

private func closeDescriptor(_ descriptor: Int32) {
    #if canImport(Glibc)
        _ = Glibc.close(descriptor)
    #else
        _ = Darwin.close(descriptor)
    #endif
}
