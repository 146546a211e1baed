import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import CTernStore
import Synchronization
import VaporCSQLite

/// One `sqlite3` connection, with the statements it has prepared kept for the next call.
///
/// SQLiteNIO compiles every statement anew and hands each row of a result to an event loop before
/// the caller sees it: compiling was 7 % of a turn's CPU and the hops part of the kernel's 16 %
/// (docs/benchmarks.md, "Issue 15: SQLite below SQLiteNIO"). Here a statement's SQL text keys a
/// small cache of prepared statements (`SQLITE_PREPARE_PERSISTENT`, reset after each use), and a
/// call runs on ``threadPool`` and resumes its caller from there: no event loop in between.
///
/// Calls may come from several tasks at once, as with SQLiteNIO (the connection is opened in
/// SQLite's serialised mode). A statement is taken out of the cache while it runs, so two calls
/// of the same SQL never share one: the second prepares its own, and only one of the two goes
/// back.
final class SQLiteHandle: Sendable {
    /// For the debug log of statements (``SQLiteConnectionSQL``).
    let logger: Logger
    /// What SQLKit's `SQLDatabase` hands out; no statement runs on it.
    let eventLoop: any EventLoop
    private let raw: Mutex<Connection>
    private let cache: Mutex<StatementCache>
    private let reprepares = Atomic<Int>(0)

    /// Prepared statements kept per connection. Tern's statements are fixed texts with binds, a
    /// few dozen in all; a text built with varying literals only churns the least recently used.
    static let cacheCapacity = 64

    private init(raw: OpaquePointer, logger: Logger, eventLoop: any EventLoop) {
        self.raw = Mutex(Connection(pointer: raw))
        self.cache = Mutex(StatementCache())
        self.logger = logger
        self.eventLoop = eventLoop
    }

    deinit {
        // `close()` is the way out; a handle dropped without it (a failed open's error path
        // closes what it opened, so only a programming error gets here) still frees the file.
        raw.withLock { connection in
            guard let pointer = connection.pointer else { return }
            cache.withLock { $0.finalizeAll() }
            sqlite_nio_sqlite3_close_v2(pointer)
            connection.pointer = nil
        }
    }

    /// The threads every SQLite call of this process runs on.
    ///
    /// A SQLite call blocks its thread: a write waits up to the busy timeout while another
    /// process (the CLI, a second `tern serve`) holds the file's lock. NIO's shared pool has one
    /// thread per core, so on a 2-core machine two such waits stopped every other statement of
    /// every database in the process for up to 5 s; under load the full test suite, which opens
    /// many databases at once, timed out on exactly that. Eight threads (or two per core) keep a
    /// few blocked writers from stalling the readers.
    static let threadPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(8, System.coreCount * 2))
        pool.start()
        return pool
    }()

    /// SQLite's global set-up, once per process before the first open (`sqlite3_open_v2` would
    /// run it too, racing on its globals when two opens run at once).
    private static let initialized: Int32 = sqlite_nio_sqlite3_initialize()

    /// Opens (creating if needed) the file at `path` on ``threadPool``, with extended result
    /// codes and `busyTimeoutMilliseconds` as the wait for another connection's lock.
    static func open(path: String, busyTimeoutMilliseconds: Int, logger: Logger) async throws -> SQLiteHandle {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        let pointer = try await onThreadPool { () throws(SQLiteStatementError) -> SendablePointer in
            guard initialized == SQLITE_OK else {
                throw SQLiteStatementError(code: initialized, message: "SQLite failed to initialise")
            }
            var pointer: OpaquePointer?
            let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE
            let opened = sqlite_nio_sqlite3_open_v2(path, &pointer, flags, nil)
            guard opened == SQLITE_OK, let pointer else {
                let message = pointer.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) }
                sqlite_nio_sqlite3_close_v2(pointer)
                throw SQLiteStatementError(code: opened, message: message ?? "cannot open \(path)")
            }
            let timeout = sqlite_nio_sqlite3_busy_timeout(pointer, Int32(clamping: busyTimeoutMilliseconds))
            guard timeout == SQLITE_OK else {
                sqlite_nio_sqlite3_close_v2(pointer)
                throw SQLiteStatementError(code: timeout, message: "cannot set the busy timeout")
            }
            // A kept statement must keep its plan. Without the guarantee SQLite compiles a
            // statement again whenever a new bind might change its plan (a bound LIMIT, a value
            // compared in a join), which for three of a turn's statements was every call.
            let stable = tern_sqlite_enable_query_planner_stability(UnsafeMutableRawPointer(pointer))
            guard stable == SQLITE_OK else {
                sqlite_nio_sqlite3_close_v2(pointer)
                throw SQLiteStatementError(code: stable, message: "cannot turn on the query planner stability guarantee")
            }
            return SendablePointer(raw: pointer)
        }
        logger.debug("opened SQLite database", metadata: ["path": .string(path)])
        return SQLiteHandle(raw: pointer.raw, logger: logger, eventLoop: eventLoop)
    }

    /// How many prepared statements wait for their next call (for tests).
    var keptStatementCount: Int { cache.withLock { $0.count } }

    /// How often SQLite had to compile a kept statement again before running it (a schema
    /// change does that; a new bind must not), for tests.
    var recompileCount: Int { reprepares.load(ordering: .relaxed) }

    /// Runs `sql` with `binds`, handing each row to `onRow` in order (on a pool thread) before the
    /// call returns. The statement runs to its end even when the calling task is cancelled, as a
    /// half-run write would leave the connection inside it.
    func query(
        _ sql: String, _ binds: [SQLiteData], _ onRow: @escaping @Sendable (SQLiteValuesRow) -> Void
    ) async throws {
        try await Self.onThreadPool { () throws(SQLiteStatementError) in
            try self.run(sql, binds, onRow)
        }
    }

    /// Finalizes the kept statements and closes the connection; later calls fail. Runs to its
    /// end in a cancelled task too: a connection left open keeps the file's locks and memory.
    func close() async throws {
        try await Self.onThreadPool { () throws(SQLiteStatementError) in
            try self.raw.withLock { (connection) throws(SQLiteStatementError) in
                guard let pointer = connection.pointer else { return }
                self.cache.withLock { $0.finalizeAll() }
                // close_v2: a statement still running on another thread is finalized by its
                // caller, and the connection goes with the last one.
                let closed = sqlite_nio_sqlite3_close_v2(pointer)
                connection.pointer = nil
                guard closed == SQLITE_OK else {
                    throw SQLiteStatementError(code: closed, message: "cannot close the SQLite connection")
                }
            }
        }
    }

    // MARK: On a pool thread

    private func run(
        _ sql: String, _ binds: [SQLiteData], _ onRow: (SQLiteValuesRow) -> Void
    ) throws(SQLiteStatementError) {
        let statement = try checkOut(sql)
        do throws(SQLiteStatementError) {
            try bind(binds, to: statement)
            // The columns are read after the first step: a kept statement whose tables changed
            // is compiled again by that step, and `SELECT *` may then have more columns.
            var count: Int32 = -1
            var names: [String] = []
            while true {
                let stepped = sqlite_nio_sqlite3_step(statement.raw)
                if stepped == SQLITE_DONE { break }
                guard stepped == SQLITE_ROW else { throw error(stepped, statement) }
                if count < 0 {
                    count = sqlite_nio_sqlite3_column_count(statement.raw)
                    names = (0..<count).map { Self.columnName(statement.raw, $0) }
                }
                var values: [SQLiteData] = []
                values.reserveCapacity(Int(count))
                for column in 0..<count {
                    values.append(try Self.value(statement.raw, column))
                }
                onRow(SQLiteValuesRow(names: names, values: values))
            }
        } catch {
            // A failed statement is not kept: its state after the error is SQLite's to explain.
            sqlite_nio_sqlite3_finalize(statement.raw)
            throw error
        }
        let recompiled = sqlite_nio_sqlite3_stmt_status(statement.raw, SQLITE_STMTSTATUS_REPREPARE, 1)
        if recompiled > 0 { reprepares.add(Int(recompiled), ordering: .relaxed) }
        checkIn(sql, statement)
    }

    /// The kept statement for `sql`, or a newly prepared one.
    private func checkOut(_ sql: String) throws(SQLiteStatementError) -> SendablePointer {
        if let kept = cache.withLock({ $0.take(sql) }) { return kept }
        return try raw.withLock { (connection) throws(SQLiteStatementError) -> SendablePointer in
            guard let pointer = connection.pointer else {
                throw SQLiteStatementError(code: SQLITE_MISUSE, message: "the SQLite connection is closed")
            }
            var statement: OpaquePointer?
            let prepared = sqlite_nio_sqlite3_prepare_v3(
                pointer, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
            guard prepared == SQLITE_OK else {
                sqlite_nio_sqlite3_finalize(statement)
                throw SQLiteStatementError(code: prepared, message: Self.message(of: pointer, code: prepared))
            }
            // Only blanks or a comment: nothing to run, as with SQLiteNIO (which then failed on
            // the missing handle). Tern never sends one; saying so is clearer than a crash.
            guard let statement else {
                throw SQLiteStatementError(code: SQLITE_MISUSE, message: "the SQL holds no statement")
            }
            return SendablePointer(raw: statement)
        }
    }

    /// Resets `statement` and keeps it for the next call of `sql` (or finalizes it when another
    /// call's statement for the same text got back first, or the connection has closed).
    private func checkIn(_ sql: String, _ statement: SendablePointer) {
        sqlite_nio_sqlite3_reset(statement.raw)
        sqlite_nio_sqlite3_clear_bindings(statement.raw)
        // Under the connection's lock, as `close()` finalizes the kept statements under it: a
        // statement put back after that would never be finalized.
        let surplus = raw.withLock { connection in
            connection.pointer == nil ? [statement] : cache.withLock { $0.put(sql, statement) }
        }
        for statement in surplus { sqlite_nio_sqlite3_finalize(statement.raw) }
    }

    private func bind(_ binds: [SQLiteData], to statement: SendablePointer) throws(SQLiteStatementError) {
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let bound: Int32
            switch value {
            case .blob(let buffer):
                bound = buffer.withUnsafeReadableBytes {
                    sqlite_nio_sqlite3_bind_blob64(statement.raw, index, $0.baseAddress, UInt64($0.count), transient)
                }
            case .float(let double):
                bound = sqlite_nio_sqlite3_bind_double(statement.raw, index, double)
            case .integer(let integer):
                bound = sqlite_nio_sqlite3_bind_int64(statement.raw, index, Int64(integer))
            case .null:
                bound = sqlite_nio_sqlite3_bind_null(statement.raw, index)
            case .text(let text):
                var text = text
                bound = text.withUTF8 {
                    sqlite_nio_sqlite3_bind_text64(
                        statement.raw, index, $0.baseAddress, UInt64($0.count), transient, UInt8(SQLITE_UTF8))
                }
            }
            guard bound == SQLITE_OK else { throw error(bound, statement) }
        }
    }

    private func error(_ code: Int32, _ statement: SendablePointer) -> SQLiteStatementError {
        let connection = sqlite_nio_sqlite3_db_handle(statement.raw)
        return SQLiteStatementError(code: code, message: Self.message(of: connection, code: code))
    }

    private static func message(of connection: OpaquePointer?, code: Int32) -> String {
        // errmsg is the connection's last error, which another thread's call on the same
        // connection may have replaced meanwhile; errstr names the code at least.
        if let connection, let text = sqlite_nio_sqlite3_errmsg(connection) { return String(cString: text) }
        return sqlite_nio_sqlite3_errstr(code).map { String(cString: $0) } ?? "SQLite error \(code)"
    }

    private static func columnName(_ statement: OpaquePointer, _ column: Int32) -> String {
        sqlite_nio_sqlite3_column_name(statement, column).map { String(cString: $0) } ?? ""
    }

    /// One column of the current row, as SQLiteNIO reads it, except that a text is read to its
    /// stored length: SQLiteNIO stopped at the first NUL, so a message holding "\u0000" came back
    /// cut short.
    private static func value(_ statement: OpaquePointer, _ column: Int32) throws(SQLiteStatementError) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else {
                throw SQLiteStatementError(code: SQLITE_NOMEM, message: "SQLite returned no text for a text column")
            }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeRawBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: count))
            }
            return .blob(buffer)
        default:
            return .null
        }
    }

    /// Runs `body` on ``threadPool`` and resumes the caller from there.
    private static func onThreadPool<T: Sendable>(
        _ body: @escaping @Sendable () throws(SQLiteStatementError) -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            threadPool.submit { state in
                guard case .active = state else {
                    continuation.resume(
                        throwing: SQLiteStatementError(code: SQLITE_MISUSE, message: "the SQLite thread pool has stopped"))
                    return
                }
                do throws(SQLiteStatementError) {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// SQLite's "copy the bytes now" destructor for binds.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A `sqlite3*` or `sqlite3_stmt*`, which only the pool thread using it touches.
private struct SendablePointer: @unchecked Sendable {
    let raw: OpaquePointer
}

/// The connection's pointer, nil once closed.
private struct Connection: @unchecked Sendable {
    var pointer: OpaquePointer?
}

/// Prepared statements not in use, by SQL text, the least recently used dropped beyond
/// ``SQLiteHandle/cacheCapacity``.
private struct StatementCache {
    private var idle: [String: (statement: SendablePointer, used: UInt64)] = [:]
    private var clock: UInt64 = 0

    mutating func take(_ sql: String) -> SendablePointer? {
        idle.removeValue(forKey: sql)?.statement
    }

    /// Keeps `statement`; returns the statements to finalize (a second one for the same text,
    /// or the least recently used beyond the capacity).
    mutating func put(_ sql: String, _ statement: SendablePointer) -> [SendablePointer] {
        clock &+= 1
        if idle[sql] != nil { return [statement] }
        idle[sql] = (statement, clock)
        guard idle.count > SQLiteHandle.cacheCapacity,
            let oldest = idle.min(by: { $0.value.used < $1.value.used })
        else { return [] }
        idle.removeValue(forKey: oldest.key)
        return [oldest.value.statement]
    }

    mutating func finalizeAll() {
        for entry in idle.values { sqlite_nio_sqlite3_finalize(entry.statement.raw) }
        idle = [:]
    }

    var count: Int { idle.count }
}

/// A failed SQLite call: its (extended) result code and SQLite's message.
struct SQLiteStatementError: Error, CustomStringConvertible {
    /// The extended result code, e.g. 2067 for `SQLITE_CONSTRAINT_UNIQUE`.
    let code: Int32
    let message: String

    var description: String { message }

    /// A unique or primary-key constraint refused the write.
    var isUniquenessViolation: Bool {
        code == Self.constraintUnique || code == Self.constraintPrimaryKey
    }

    /// `SQLITE_CONSTRAINT_UNIQUE` and `SQLITE_CONSTRAINT_PRIMARYKEY` (`sqlite3.h` defines them
    /// as expressions, which Swift does not import).
    static let constraintUnique = SQLITE_CONSTRAINT | (8 << 8)
    static let constraintPrimaryKey = SQLITE_CONSTRAINT | (6 << 8)
}

/// One row read by an ``SQLiteHandle``: the statement's column names and this row's values.
struct SQLiteValuesRow: Sendable {
    let names: [String]
    let values: [SQLiteData]
}
