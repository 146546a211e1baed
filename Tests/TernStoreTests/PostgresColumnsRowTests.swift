import Foundation
import PostgresKit
import PostgresNIO
import SQLKit
import Testing

@testable import TernStore

/// ``PostgresConnectionSQL`` reads rows and encodes binds without PostgresKit's generic
/// translation, so every column of several PostgreSQL types is read here as every type Tern asks
/// for through both, and the answers (a value, or an error) must agree; values bound through
/// either must read back the same.
@Suite(.timeLimit(.minutes(1)), .enabled(if: PostgresTestServer.isAvailable))
struct PostgresColumnsRowTests {
    private static let query = """
        SELECT 'text'::text AS s, '42'::text AS digits, 42::int8 AS i, 7::int4 AS i4, -3::int2 AS i2, 1.5::float8 AS d,
            2.5::numeric AS num, NULL::text AS n, true AS yes, '\\x00ff'::bytea AS b, ''::text AS empty,
            'first'::text AS dup, 'second'::text AS dup, 'x'::varchar AS v, 9223372036854775807::int8 AS big,
            '{"a":1}'::jsonb AS j, ARRAY['p','q']::text[] AS arr, 'a1b2c3d4-0000-0000-0000-000000000000'::uuid AS u
        """

    private static let columns = [
        "s", "digits", "i", "i4", "i2", "d", "num", "n", "yes", "b", "empty", "dup", "v", "big", "j", "arr", "u", "absent",
    ]

    @Test func everyColumnAsEveryType_readsAsPostgresKitReadsIt() async throws {
        try await withConnection { connection in
            let ours = try #require(try await sqlDatabase(connection).raw(SQLQueryString(Self.query)).first())
            let kits = try #require(try await connection.sql().raw(SQLQueryString(Self.query)).first())
            #expect(ours.allColumns == kits.allColumns)
            for column in Self.columns {
                #expect(ours.contains(column: column) == kits.contains(column: column), "\(column)")
                #expect(outcome { try ours.decodeNil(column: column) } == outcome { try kits.decodeNil(column: column) }, "\(column)")
                for read in Self.reads {
                    let (mine, theirs) = (outcome { try read.decode(ours, column) }, outcome { try read.decode(kits, column) })
                    #expect(mine == theirs, "\(column) as \(read.type): \(mine) here, \(theirs) through PostgresKit")
                }
            }
        }
    }

    @Test func binds_readBackAsThroughPostgresKit() async throws {
        try await withConnection { connection in
            let date = Date(timeIntervalSince1970: 1_700_000_000.25)
            let uuid = UUID()
            func select(_ database: any SQLDatabase) async throws -> (any SQLRow)? {
                try await database.raw(
                    """
                    SELECT \(bind: "text")::text AS s, \(bind: 42)::int8 AS i, \(bind: Int64(-5))::int8 AS i64,
                        \(bind: 1.25)::float8 AS d, \(bind: true)::bool AS yes, \(bind: nil as String?)::text AS n,
                        \(bind: "some" as String?)::text AS o, \(bind: Data([0, 255]))::bytea AS b,
                        \(bind: date)::timestamptz AS t, \(bind: uuid)::uuid AS u, \(bind: ["p", "q"])::text[] AS arr,
                        \(bind: Pair(a: 1))::jsonb AS pj
                    """
                ).first()
            }
            let ours = try #require(try await select(sqlDatabase(connection)))
            let kits = try #require(try await select(connection.sql()))
            for column in ["s", "i", "i64", "d", "yes", "n", "o", "b", "t", "u", "arr", "pj"] {
                for read in Self.reads {
                    let (mine, theirs) = (outcome { try read.decode(ours, column) }, outcome { try read.decode(kits, column) })
                    #expect(mine == theirs, "\(column) as \(read.type): \(mine) here, \(theirs) through PostgresKit")
                }
            }
            #expect(try ours.decode(column: "s", as: String.self) == "text")
            #expect(try ours.decode(column: "arr", as: [String].self) == ["p", "q"])
            // Only PostgresKit's Encodable path encodes a plain Codable value: the statement runs there.
            #expect(try ours.decode(column: "pj", as: Pair.self) == Pair(a: 1))
        }
    }

    @Test func aMissingColumn_isAnError_andNil() async throws {
        try await withConnection { connection in
            let row = try #require(try await sqlDatabase(connection).raw("SELECT 1::int8 AS one").first())
            #expect(try row.decode(column: "one", as: Int.self) == 1)
            #expect(throws: (any Error).self) { try row.decode(column: "two", as: Int.self) }
            #expect(try row.decodeNil(column: "two"))
        }
    }

    private struct Pair: Codable, Equatable, Sendable { let a: Int }

    /// A read of one column as one type, through either database's rows.
    private struct Read: Sendable {
        let type: String
        let decode: @Sendable (any SQLRow, String) throws -> String
    }

    private static let reads: [Read] = [
        read(String.self), read(Int.self), read(Int64.self), read(Int32.self), read(Double.self), read(Bool.self),
        read(Data.self), read(String?.self), read(Int?.self), read(Date.self), read(UUID.self), read([String].self),
    ]

    private static func read<T: Decodable>(_ type: T.Type) -> Read {
        Read(type: "\(T.self)") { row, column in "\(try row.decode(column: column, as: T.self))" }
    }

    /// "value: …" or "error: …" (the error's type), so that both rows' answers compare.
    private func outcome<T>(_ body: () throws -> T) -> String {
        do { return "value: \(try body())" } catch { return "error: \(type(of: error))" }
    }

    private func sqlDatabase(_ connection: PostgresConnection) -> any SQLDatabase {
        PostgresConnectionSQL(connection: connection, logger: PostgresTestServer.logger)
    }

    private func withConnection(_ body: @Sendable (PostgresConnection) async throws -> Void) async throws {
        try await withTemporaryPostgres(migrate: false) { database, _ in
            try await database.withLease { session in try await body(session.connection) }
        }
    }
}
