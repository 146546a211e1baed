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
            expectSameReads(ours, kits, columns: Self.columns, reads: Self.reads, driver: "PostgresKit")
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
            expectSameReads(
                ours, kits, columns: ["s", "i", "i64", "d", "yes", "n", "o", "b", "t", "u", "arr", "pj"], reads: Self.reads,
                driver: "PostgresKit")
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

    private static let reads: [RowRead] = [
        .of(String.self), .of(Int.self), .of(Int64.self), .of(Int32.self), .of(Double.self), .of(Bool.self),
        .of(Data.self), .of(String?.self), .of(Int?.self), .of(Date.self), .of(UUID.self), .of([String].self),
    ]

    private func sqlDatabase(_ connection: PostgresConnection) -> any SQLDatabase {
        PostgresConnectionSQL(connection: connection, logger: PostgresTestServer.logger)
    }

    private func withConnection(_ body: @Sendable (PostgresConnection) async throws -> Void) async throws {
        try await withTemporaryPostgres(migrate: false) { database, _ in
            try await database.withLease { session in try await body(session.connection) }
        }
    }
}
