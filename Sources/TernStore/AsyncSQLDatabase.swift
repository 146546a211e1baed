import NIOCore
import SQLKit

/// An `SQLDatabase` whose statements run through its `async` `execute(sql:_:)`; the future-based
/// requirement is derived from it (``SQLiteConnectionSQL``, ``PostgresConnectionSQL``: Tern's own
/// stores only call the `async` one).
protocol AsyncSQLDatabase: SQLDatabase {}

extension AsyncSQLDatabase {
    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void)
        -> EventLoopFuture<Void>
    {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await execute(sql: query, onRow) }
        return promise.futureResult
    }
}
