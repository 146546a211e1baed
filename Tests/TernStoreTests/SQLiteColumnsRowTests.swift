import Foundation
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Testing

@testable import TernStore

/// ``SQLiteConnectionSQL`` reads rows without SQLiteKit's generic decoder, so every column of
/// every storage class is read here as every type Tern asks for, through both, and the answers
/// (a value, or an error) must agree: the fast path may not convert more, less or differently.
struct SQLiteColumnsRowTests {
    private static let query = """
        SELECT 'text' AS s, '42' AS digits, 42 AS i, -7 AS negative, 1.5 AS d, 3.0 AS whole, NULL AS n,
            x'00ff' AS b, '' AS empty, 'first' AS dup, 'second' AS dup, 9223372036854775807 AS big
        """

    @Test func everyColumnAsEveryType_readsAsSQLiteKitReadsIt() async throws {
        try await withMemorySQLiteHandle { connection in
            let ours = try #require(try await SQLiteConnectionSQL(connection: connection).raw(SQLQueryString(Self.query)).first())
            let kits = try #require(try await withSQLiteNIOConnection { try await $0.sql().raw(SQLQueryString(Self.query)).first() })
            #expect(ours.allColumns == kits.allColumns)
            // The error types differ: SQLiteKit's internal `MissingColumn`, ``MissingSQLiteColumn`` here.
            expectSameReads(
                ours, kits, columns: ["s", "digits", "i", "negative", "d", "whole", "n", "b", "empty", "dup", "big", "absent"],
                reads: Self.reads, driver: "SQLiteKit", namingErrorTypes: false)
        }
    }

    @Test func aMissingColumn_isAnErrorNamingIt() async throws {
        try await withMemorySQLiteHandle { connection in
            let row = try #require(try await SQLiteConnectionSQL(connection: connection).raw("SELECT 1 AS one").first())
            #expect(try row.decode(column: "one", as: Int.self) == 1)
            #expect(throws: MissingSQLiteColumn.self) { try row.decode(column: "two", as: Int.self) }
            #expect("\(MissingSQLiteColumn(column: "two"))" == "no column 'two' in the row")
        }
    }

    @Test func binds_andEveryRow_comeBack() async throws {
        try await withMemorySQLiteHandle { connection in
            let database = SQLiteConnectionSQL(connection: connection)
            try await database.raw("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, note TEXT)").run()
            for id in 1...50 {
                try await database.raw(
                    "INSERT INTO t (id, name, note) VALUES (\(bind: id), \(bind: "n\(id)"), \(bind: id.isMultiple(of: 2) ? "even" : nil as String?))"
                ).run()
            }
            let rows = try await database.select().columns("*").from("t").orderBy("id").all()
            #expect(rows.count == 50)
            #expect(try rows.map { try $0.decode(column: "name", as: String.self) } == (1...50).map { "n\($0)" })
            #expect(
                try rows.map { try $0.decode(column: "note", as: String?.self) } == (1...50).map { $0.isMultiple(of: 2) ? "even" : nil })
        }
    }

    /// Narrower integers are left out: SQLiteNIO traps converting a value they cannot hold, on
    /// both paths alike.
    private static let reads: [RowRead] = [
        .of(String.self), .of(Int.self), .of(Int64.self), .of(Double.self), .of(Float.self), .of(Bool.self),
        .of(Data.self), .of(String?.self), .of(Int?.self), .of(Int64?.self), .of(Double?.self), .of([String].self),
    ]

    /// SQLiteKit over SQLiteNIO's own connection, the reading Tern's must match.
    private func withSQLiteNIOConnection<T>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        let connection = try await SQLiteConnection.open(
            storage: .memory, threadPool: .singleton, logger: .init(label: "tern.test.sqlite"),
            on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            let result = try await body(connection)
            try await connection.close().get()
            return result
        } catch {
            try await connection.close().get()
            throw error
        }
    }
}
