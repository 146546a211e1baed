import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit

/// One leased PostgreSQL connection as an `SQLDatabase`, in place of PostgresKit's `sql()`.
///
/// PostgresKit reads every column through `PostgresDataTranslation`: a column lookup table built
/// per row, then for each value a coding-path array, several dynamic casts and Fluent's
/// workarounds. Reading a turn's stored thread outline that way was 11 % of a PostgreSQL turn's
/// CPU (docs/benchmarks.md, "Issue 15: rows without the drivers' generic decoders"). Here
/// `String`, `Int` and `Int64` columns are decoded by the cell itself (`PostgresCell.decode`,
/// what PostgresKit calls too), and every other type, a user-defined column type or a value the
/// cell refuses goes through PostgresKit's own row (`PostgresRow.sql()`), with its conversions
/// and errors. Binds are PostgresKit's fast path (`PostgresThrowingDynamicTypeEncodable`, nil as
/// NULL); a statement with any other bind runs through PostgresKit whole. The query log (at
/// trace) is PostgresKit's.
struct PostgresConnectionSQL: AsyncSQLDatabase {
    let connection: PostgresConnection
    /// Receives the statements at trace level and PostgresNIO's own lines.
    let logger: Logger

    var eventLoop: any EventLoop { connection.eventLoop }
    var dialect: any SQLDialect { PostgresDialect() }
    var queryLogLevel: Logger.Level? { .trace }

    /// PostgresKit's `SQLDatabase` on the same connection, for statements whose binds need its
    /// `Encodable` path.
    private var kit: some SQLDatabase { connection.sql(queryLogLevel: .trace, logger: logger) }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = serialize(query)
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            guard try Self.append(bind, to: &bindings) else { return try await kit.execute(sql: query, onRow) }
        }
        logger.trace(
            "Executing query", metadata: ["sql": .string(sql), "binds": .array(binds.map { .string("\($0)") })])
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await row in rows { onRow(PostgresColumnsRow(row)) }
    }

    /// Appends `value` as PostgresKit's first two paths would; false when only its `Encodable`
    /// path can encode it.
    private static func append<T: Encodable>(_ value: T, to bindings: inout PostgresBindings) throws -> Bool {
        if (value as Any?) == nil {
            bindings.appendNull()
        } else if let value = value as? any PostgresThrowingDynamicTypeEncodable {
            try bindings.append(value, context: .default)
        } else {
            return false
        }
        return true
    }
}

/// A row read by ``PostgresConnectionSQL``: its cells in statement order, looked up by name with
/// a scan.
struct PostgresColumnsRow: SQLRow {
    private let row: PostgresRow
    private let cells: [PostgresCell]

    init(_ row: PostgresRow) {
        self.row = row
        cells = Array(row)
    }

    var allColumns: [String] { cells.map(\.columnName) }

    func contains(column: String) -> Bool {
        cell(column) != nil
    }

    func decodeNil(column: String) throws -> Bool {
        cell(column)?.bytes == nil
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        // PostgresKit reads a user-defined type (a Fluent enum) as a name when asked for a String:
        // leave those, and NULLs, to it.
        if let cell = cell(column), cell.bytes != nil, !cell.dataType.isUserDefined {
            if D.self == String.self, let value = try? cell.decode(String.self) {
                return unsafeBitCast(value, to: D.self)
            }
            if D.self == Int.self, let value = try? cell.decode(Int.self) {
                return unsafeBitCast(value, to: D.self)
            }
            if D.self == Int64.self, let value = try? cell.decode(Int64.self) {
                return unsafeBitCast(value, to: D.self)
            }
        }
        return try row.sql().decode(column: column, as: D.self)
    }

    /// The last cell named `name` (PostgresKit's rule: its lookup table keeps the last), or nil.
    private func cell(_ name: String) -> PostgresCell? {
        cells.last { $0.columnName == name }
    }
}
