import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO

/// One ``SQLiteHandle`` as an `SQLDatabase`, in place of SQLiteKit's `sql()` over SQLiteNIO.
///
/// SQLiteKit reads every column through `SQLiteDataDecoder`'s generic path: a hashed name lookup,
/// a dynamic cast of the requested type to `SQLiteDataConvertible`, and a second cast of the
/// value. Reading a turn's stored history (13 columns a row) that way was 15 % of a turn's CPU
/// (docs/benchmarks.md, "Issue 15: rows without the drivers' generic decoders"). Here `String`,
/// `Int` and `Int64` columns, nearly every column Tern stores, are converted directly, with the
/// same conversions and the same errors; any other type still goes through `SQLiteDataDecoder`.
/// Binds are encoded, and statements serialised in the dialect, as SQLiteKit does; every
/// statement is logged at debug level with its SQL under `sql`, which tests count statements by.
struct SQLiteConnectionSQL: AsyncSQLDatabase {
    let connection: SQLiteHandle

    var logger: Logger { connection.logger }
    var eventLoop: any EventLoop { connection.eventLoop }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { .debug }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, rawBinds) = serialize(query)
        logger.debug(
            "Executing query",
            metadata: ["sql": .string(sql), "binds": .array(rawBinds.map { .string("\($0)") })])
        let binds = try rawBinds.map { try sqliteDataEncoder.encode($0) }
        try await connection.query(sql, binds) { onRow(SQLiteColumnsRow($0)) }
    }
}

/// A row read by ``SQLiteConnectionSQL``: its columns in statement order, looked up by name
/// with a scan (a row has a few columns, and comparing short names costs less than hashing them).
struct SQLiteColumnsRow: SQLRow {
    private let names: [String]
    private let values: [SQLiteData]

    init(_ row: SQLiteValuesRow) {
        names = row.names
        values = row.values
    }

    var allColumns: [String] { names }

    func contains(column: String) -> Bool {
        data(column) != nil
    }

    func decodeNil(column: String) throws -> Bool {
        (data(column) ?? .null) == .null
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let data = data(column) else { throw MissingSQLiteColumn(column: column) }
        // `D.self ==` compares type metadata; the casts below are then no-ops.
        if D.self == String.self, let value = String(sqliteData: data) {
            return unsafeBitCast(value, to: D.self)
        }
        if D.self == Int.self, let value = Int(sqliteData: data) {
            return unsafeBitCast(value, to: D.self)
        }
        if D.self == Int64.self, let value = Int64(sqliteData: data) {
            return unsafeBitCast(value, to: D.self)
        }
        // Other types, and a value the direct conversion refused: SQLiteKit's own path, with its
        // conversions and its errors.
        return try sqliteDataDecoder.decode(D.self, from: data)
    }

    /// The first column named `name` (SQLiteKit's rule too), or nil.
    private func data(_ name: String) -> SQLiteData? {
        for (index, candidate) in names.enumerated() where candidate == name { return values[index] }
        return nil
    }
}

private let sqliteDataEncoder = SQLiteDataEncoder()
private let sqliteDataDecoder = SQLiteDataDecoder()

/// A column an ``SQLiteColumnsRow`` does not have.
struct MissingSQLiteColumn: Error, CustomStringConvertible {
    let column: String
    var description: String { "no column '\(column)' in the row" }
}
