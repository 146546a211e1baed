import Logging
import NIOCore
import SQLKit
import Synchronization
import TernStore

/// Counts every SQL statement run through a ``DatabaseHandle``, to catch N+1 query patterns.
final class CountingDatabase: DatabaseHandle {
    let base: any DatabaseHandle
    let counter = StatementCounter()

    init(_ base: any DatabaseHandle) { self.base = base }

    var dialect: SQLDialectKind { base.dialect }
    var statements: Int { counter.count }
    func reset() { counter.reset() }

    private var session: CountingSession { CountingSession(base: base, counter: counter) }

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await session.read(body)
    }

    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await session.write(body)
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await session.transaction(body)
    }

    func withSession<T: Sendable>(_ body: @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        let counter = self.counter
        return try await base.withSession { session in try await body(CountingSession(base: session, counter: counter)) }
    }

    func close() async throws { try await base.close() }
}

private struct CountingSession: DatabaseSession {
    let base: any DatabaseSession
    let counter: StatementCounter

    var dialect: SQLDialectKind { base.dialect }

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let counter = self.counter
        return try await base.read { try await body(CountedSQL(base: $0, counter: counter)) }
    }

    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let counter = self.counter
        return try await base.write { try await body(CountedSQL(base: $0, counter: counter)) }
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let counter = self.counter
        return try await base.transaction { try await body(CountedSQL(base: $0, counter: counter)) }
    }
}

final class StatementCounter: Sendable {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    func increment() { value.withLock { $0 += 1 } }
    func reset() { value.withLock { $0 = 0 } }
}

private struct CountedSQL: SQLDatabase {
    let base: any SQLDatabase
    let counter: StatementCounter

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        counter.increment()
        return base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        counter.increment()
        try await base.execute(sql: query, onRow)
    }
}
