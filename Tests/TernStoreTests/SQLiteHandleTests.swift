import Foundation
import Logging
import SQLKit
import SQLiteNIO
import Synchronization
import TernCore
import TernTesting
import Testing

@testable import TernStore

/// ``SQLiteHandle`` keeps prepared statements between calls. What that may not change: a call's
/// binds never leak into the next, two calls of one text at once never share a statement, a
/// statement still sees the table after a schema change, a failed statement leaves nothing
/// behind, the cache stays bounded, and a closed handle says so.
struct SQLiteHandleTests {
    @Test func aStatementRunTwice_isKept_andItsBindsDoNotCarryOver() async throws {
        try await withMemorySQLiteHandle { (handle) async throws in
            #expect(try await rows(handle, "SELECT ?1 AS v", [.integer(5)]) == [["v": "5"]])
            #expect(handle.keptStatementCount == 1)
            // Same text, no binds: the parameter is NULL again, not the 5 of the last call.
            #expect(try await rows(handle, "SELECT ?1 AS v", []) == [["v": "NULL"]])
            #expect(handle.keptStatementCount == 1)
        }
    }

    /// SQLite compiles a statement again when a new bind might change its plan, unless its
    /// planner stability guarantee is on: a bound LIMIT crossing 1 did, for a turn's outline read.
    @Test func newBinds_doNotRecompileAKeptStatement() async throws {
        try await withMemorySQLiteHandle { (handle) async throws in
            try await handle.query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", []) { _ in }
            try await handle.query("CREATE INDEX t_v_idx ON t (v) WHERE v IS NOT NULL AND v = 'x'", []) { _ in }
            for round in 0..<10 {
                _ = try await rows(handle, "SELECT id FROM t ORDER BY id LIMIT ?", [.integer(round % 2 == 0 ? 1 : 20)])
                _ = try await rows(handle, "SELECT id FROM t WHERE v = ?", [.text(round % 2 == 0 ? "x" : "y")])
            }
            #expect(handle.recompileCount == 0)
            // A schema change still recompiles (and the statement still runs).
            try await handle.query("ALTER TABLE t ADD COLUMN w TEXT", []) { _ in }
            _ = try await rows(handle, "SELECT id FROM t WHERE v = ?", [.text("x")])
            #expect(handle.recompileCount == 1)
        }
    }

    @Test func manyCallsOfOneTextAtOnce_eachGetsItsOwnAnswer() async throws {
        try await withMemorySQLiteHandle { (handle) async throws in
            try await handle.query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", []) { _ in }
            for id in 1...50 {
                try await handle.query("INSERT INTO t (id, v) VALUES (?, ?)", [.integer(id), .text("v\(id)")]) { _ in }
            }
            // 200 concurrent reads of the same text with different binds, each a few rows long:
            // a statement shared by two of them would mix their rows or binds.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for call in 0..<200 {
                    let low = call % 45 + 1
                    group.addTask {
                        let read = try await rows(
                            handle, "SELECT v FROM t WHERE id BETWEEN ? AND ? ORDER BY id", [.integer(low), .integer(low + 5)])
                        #expect(read.map { $0["v"] } == (low...(low + 5)).map { "v\($0)" })
                    }
                }
                try await group.waitForAll()
            }
            #expect(handle.keptStatementCount <= SQLiteHandle.cacheCapacity)
        }
    }

    @Test func aKeptStatement_seesColumnsAddedSinceItWasPrepared() async throws {
        try await withMemorySQLiteHandle { (handle) async throws in
            try await handle.query("CREATE TABLE t (a INTEGER)", []) { _ in }
            try await handle.query("INSERT INTO t (a) VALUES (1)", []) { _ in }
            #expect(try await rows(handle, "SELECT * FROM t", []) == [["a": "1"]])
            try await handle.query("ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x'", []) { _ in }
            #expect(try await rows(handle, "SELECT * FROM t", []) == [["a": "1", "b": "x"]])
        }
    }

    @Test func aFailedStatement_isAnErrorWithSQLitesCode_andTheTextRunsAgainAfterwards() async throws {
        try await withMemorySQLiteHandle { (handle) async throws in
            try await handle.query("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)", []) { _ in }
            let insert = "INSERT INTO t (name) VALUES (?)"
            try await handle.query(insert, [.text("a")]) { _ in }
            let error = await #expect(throws: SQLiteStatementError.self) {
                try await handle.query(insert, [.text("a")]) { _ in }
            }
            #expect(error?.isUniquenessViolation == true)
            #expect(error?.description == "UNIQUE constraint failed: t.name")
            try await handle.query(insert, [.text("b")]) { _ in }
            #expect(try await rows(handle, "SELECT name FROM t ORDER BY name", []).map { $0["name"] } == ["a", "b"])

            let syntax = await #expect(throws: SQLiteStatementError.self) {
                try await handle.query("SELEKT 1", []) { _ in }
            }
            #expect(syntax?.description.contains("syntax error") == true)
            #expect(syntax?.isUniquenessViolation == false)
        }
    }

    @Test func theCache_keepsAtMostItsCapacity() async throws {
        try await withMemorySQLiteHandle { (handle) async throws in
            for n in 0..<(SQLiteHandle.cacheCapacity + 20) {
                #expect(try await rows(handle, "SELECT \(n) AS n", []) == [["n": "\(n)"]])
            }
            #expect(handle.keptStatementCount == SQLiteHandle.cacheCapacity)
        }
    }

    /// SQLiteNIO read text up to its first NUL byte, so a message holding one came back cut.
    @Test func textWithANulByte_comesBackWhole() async throws {
        try await withMemorySQLiteHandle { (handle) async throws in
            try await handle.query("CREATE TABLE t (v TEXT)", []) { _ in }
            let text = "before\u{0}after ✓"
            try await handle.query("INSERT INTO t (v) VALUES (?)", [.text(text)]) { _ in }
            let read = try await SQLiteConnectionSQL(connection: handle).raw("SELECT v FROM t").first()
            #expect(try read?.decode(column: "v", as: String.self) == text)
        }
    }

    @Test func aClosedHandle_refusesStatements_andClosesTwiceQuietly() async throws {
        let handle = try await SQLiteHandle.open(path: ":memory:", busyTimeoutMilliseconds: 100, logger: .init(label: "test"))
        _ = try await rows(handle, "SELECT 1 AS one", [])
        try await handle.close()
        #expect(handle.keptStatementCount == 0)
        let error = await #expect(throws: SQLiteStatementError.self) {
            try await handle.query("SELECT 1 AS one", []) { _ in }
        }
        #expect(error?.description == "the SQLite connection is closed")
        try await handle.close()
    }

    /// A close waits for the calls already running: a write in flight ends (here: its rows
    /// all arrive) before the file is let go, and nothing starts meanwhile. Closing at once
    /// (SQLiteNIO's way, and this handle's first) returned while the call still ran.
    @Test(.timeLimit(.minutes(1)))  // a close racing the call could also wait for ever on SQLite's mutex
    func close_waitsForTheCallRunning_andRefusesNewOnes() async throws {
        let handle = try await SQLiteHandle.open(path: ":memory:", busyTimeoutMilliseconds: 100, logger: .init(label: "test"))
        let firstRow = OneShotSignal()
        let proceed = DispatchSemaphore(value: 0)
        let read = Collected()
        let running = Task {
            try await handle.query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT x FROM c", []) {
                row in
                if read.rows.isEmpty {
                    firstRow.fire()
                    proceed.wait()  // on the pool thread: holds the call open until the close has begun
                }
                read.append(["x": "\(row.values)"])
            }
        }
        await firstRow.wait()
        let closing = Task {
            try await handle.close()
            return read.rows.count  // the rows the call had delivered when the close returned
        }
        try await poll("the close to begin") { handle.isClosing }
        let refused = await #expect(throws: SQLiteStatementError.self) { try await handle.query("SELECT 1", []) { _ in } }
        #expect(refused?.description == "the SQLite connection is closed")
        proceed.signal()
        try await running.value
        #expect(try await closing.value == 3, "the close returned before the running call ended")
        #expect(handle.keptStatementCount == 0)
    }

    @Test func sqlHoldingTwoStatements_isRefused_notHalfRun() async throws {
        try await withMemorySQLiteHandle { (handle) async throws in
            try await handle.query("CREATE TABLE t (v INTEGER)", []) { _ in }
            let error = await #expect(throws: SQLiteStatementError.self) {
                try await handle.query("INSERT INTO t (v) VALUES (1); INSERT INTO t (v) VALUES (2)", []) { _ in }
            }
            #expect(error?.description == "the SQL holds more than one statement; SQLite would run only the first")
            #expect(try await rows(handle, "SELECT count(*) AS n FROM t", []) == [["n": "0"]])
            // A trailing semicolon, blanks or a comment are not a second statement.
            try await handle.query("INSERT INTO t (v) VALUES (3);  \n -- done\n", []) { _ in }
            #expect(try await rows(handle, "SELECT v FROM t", []) == [["v": "3"]])
        }
    }

    @Test func openingAFileThatCannotBeOpened_namesWhy() async throws {
        let error = await #expect(throws: SQLiteStatementError.self) {
            _ = try await SQLiteHandle.open(
                path: "/nonexistent-\(UUID().uuidString)/tern.sqlite", busyTimeoutMilliseconds: 100, logger: .init(label: "test"))
        }
        #expect(error?.description == "unable to open database file")
    }

    // MARK: Helpers

    /// Every row of `sql` as column name → value text ("NULL" for NULL).
    private func rows(_ handle: SQLiteHandle, _ sql: String, _ binds: [SQLiteData]) async throws -> [[String: String]] {
        let collected = Collected()
        try await handle.query(sql, binds) { row in
            var read: [String: String] = [:]
            for (name, value) in zip(row.names, row.values) {
                switch value {
                case .null: read[name] = "NULL"
                case .integer(let integer): read[name] = "\(integer)"
                case .text(let text): read[name] = text
                case .float(let double): read[name] = "\(double)"
                case .blob(let buffer): read[name] = "blob(\(buffer.readableBytes))"
                }
            }
            collected.append(read)
        }
        return collected.rows
    }
}

private final class Collected: Sendable {
    private let storage = Mutex<[[String: String]]>([])
    func append(_ row: [String: String]) { storage.withLock { $0.append(row) } }
    var rows: [[String: String]] { storage.withLock { $0 } }
}

/// Runs `body` with a ``SQLiteHandle`` on an in-memory database, closed afterwards (also when
/// `body` throws).
func withMemorySQLiteHandle(_ body: (SQLiteHandle) async throws -> Void) async throws {
    let handle = try await SQLiteHandle.open(path: ":memory:", busyTimeoutMilliseconds: 1000, logger: .init(label: "tern.test.sqlite"))
    do {
        try await body(handle)
        try await handle.close()
    } catch {
        try await handle.close()
        throw error
    }
}
