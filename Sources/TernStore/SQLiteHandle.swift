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
        // No call can be running: each holds the handle.
        if let failure = raw.withLock({ closeLocked(&$0) }) {
            logger.warning("closing a dropped SQLite connection failed", metadata: ["error": "\(failure)"])
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

    /// Whether ``close()`` has begun (for tests).
    var isClosing: Bool { raw.withLock { $0.closing || $0.pointer == nil } }

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

    /// Finalizes the kept statements and closes the connection, once the calls already running
    /// on it have ended (a write in flight commits, or fails, before the file is let go); calls
    /// made meanwhile or later fail. Runs to its end in a cancelled task too: a connection left
    /// open keeps the file's locks and memory.
    func close() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let closeNow: Bool = raw.withLock { state in
                guard state.pointer != nil else {
                    continuation.resume()
                    return false
                }
                state.closeWaiters.append(continuation)
                guard !state.closing else { return false }
                state.closing = true
                return state.running == 0
            }
            // Otherwise the last running call closes it (``leave()``).
            if closeNow { Self.threadPool.submit { _ in self.finishClosing() } }
        }
    }

    // MARK: On a pool thread

    private func run(
        _ sql: String, _ binds: [SQLiteData], _ onRow: (SQLiteValuesRow) -> Void
    ) throws(SQLiteStatementError) {
        let connection = try enter()
        defer { leave() }
        let statement = try checkOut(sql, on: connection)
        do throws(SQLiteStatementError) {
            // The binds and each step hold the connection's own (recursive) mutex until a
            // failure's message is read: SQLite takes it inside each call only, and another
            // thread's call on this connection in between would replace (or free) the message.
            // Other calls still run between two steps, as they did with SQLiteNIO.
            let mutex = SQLiteMutex(connection)
            try mutex.holding { () throws(SQLiteStatementError) in try Self.bind(binds, to: statement, on: connection) }
            // The columns are read after the first step: a kept statement whose tables changed
            // is compiled again by that step, and `SELECT *` may then have more columns.
            var count: Int32 = -1
            var names: [String] = []
            while true {
                let stepped = try mutex.holding { () throws(SQLiteStatementError) -> Int32 in
                    let stepped = sqlite_nio_sqlite3_step(statement.raw)
                    guard stepped == SQLITE_ROW || stepped == SQLITE_DONE else { throw Self.error(stepped, on: connection) }
                    return stepped
                }
                if stepped == SQLITE_DONE { break }
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

    /// Counts a call as running on the connection, which ``close()`` waits for; fails once
    /// the connection is closed or closing.
    private func enter() throws(SQLiteStatementError) -> SendablePointer {
        try raw.withLock { (state) throws(SQLiteStatementError) -> SendablePointer in
            guard let pointer = state.pointer, !state.closing else {
                throw SQLiteStatementError(code: SQLITE_MISUSE, message: "the SQLite connection is closed")
            }
            state.running += 1
            return SendablePointer(raw: pointer)
        }
    }

    /// Ends a call; the last one to end while ``close()`` waits closes the connection.
    private func leave() {
        let closeNow = raw.withLock { state in
            state.running -= 1
            return state.closing && state.running == 0 && state.pointer != nil
        }
        if closeNow { finishClosing() }
    }

    /// Closes the connection and answers every ``close()`` waiting for it (on a pool thread).
    private func finishClosing() {
        let (waiters, failure) = raw.withLock { state in
            let failure = closeLocked(&state)
            defer { state.closeWaiters = [] }
            return (state.closeWaiters, failure)
        }
        for waiter in waiters {
            if let failure { waiter.resume(throwing: failure) } else { waiter.resume() }
        }
    }

    /// Finalizes the kept statements and closes the connection, if still open; no call may be
    /// running on it.
    private func closeLocked(_ state: inout Connection) -> SQLiteStatementError? {
        guard let pointer = state.pointer else { return nil }
        cache.withLock { $0.finalizeAll() }
        let closed = sqlite_nio_sqlite3_close_v2(pointer)
        state.pointer = nil
        return closed == SQLITE_OK ? nil : SQLiteStatementError(code: closed, message: "cannot close the SQLite connection")
    }

    /// The kept statement for `sql`, or a newly prepared one. `sql` must hold one statement:
    /// SQLite compiles only the first, and the rest would be dropped without a word.
    private func checkOut(_ sql: String, on connection: SendablePointer) throws(SQLiteStatementError) -> SendablePointer {
        if let kept = cache.withLock({ $0.take(sql) }) { return kept }
        let prepared: Result<SendablePointer, SQLiteStatementError> = SQLiteMutex(connection).holding {
            sql.withCString { text in
                var statement: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let code = sqlite_nio_sqlite3_prepare_v3(
                    connection.raw, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, &tail)
                guard code == SQLITE_OK else {
                    sqlite_nio_sqlite3_finalize(statement)
                    return .failure(Self.error(code, on: connection))
                }
                // Only blanks or a comment: nothing to run. Tern never sends one; saying so is
                // clearer than running nothing.
                guard let statement else {
                    return .failure(SQLiteStatementError(code: SQLITE_MISUSE, message: "the SQL holds no statement"))
                }
                if let tail, let problem = Self.secondStatement(tail, on: connection) {
                    sqlite_nio_sqlite3_finalize(statement)
                    return .failure(problem)
                }
                return .success(SendablePointer(raw: statement))
            }
        }
        return try prepared.get()
    }

    /// Why the text after a prepared statement cannot be ignored (another statement, or SQL
    /// SQLite refuses), or nil when it is blanks and comments only.
    private static func secondStatement(_ tail: UnsafePointer<CChar>, on connection: SendablePointer) -> SQLiteStatementError? {
        var rest = tail
        while rest.pointee != 0, isspace(Int32(UInt8(bitPattern: rest.pointee))) != 0 { rest += 1 }
        guard rest.pointee != 0 else { return nil }
        var extra: OpaquePointer?
        let code = sqlite_nio_sqlite3_prepare_v3(connection.raw, rest, -1, 0, &extra, nil)
        sqlite_nio_sqlite3_finalize(extra)
        guard code == SQLITE_OK else { return error(code, on: connection) }
        guard extra != nil else { return nil }
        return SQLiteStatementError(
            code: SQLITE_MISUSE, message: "the SQL holds more than one statement; SQLite would run only the first")
    }

    /// Resets `statement` and keeps it for the next call of `sql`, or finalizes it when
    /// another call's statement for the same text got back first. The call is still running,
    /// so ``close()`` cannot have finalized the kept ones yet.
    private func checkIn(_ sql: String, _ statement: SendablePointer) {
        sqlite_nio_sqlite3_reset(statement.raw)
        sqlite_nio_sqlite3_clear_bindings(statement.raw)
        let surplus = cache.withLock { $0.put(sql, statement) }
        for statement in surplus { sqlite_nio_sqlite3_finalize(statement.raw) }
    }

    private static func bind(
        _ binds: [SQLiteData], to statement: SendablePointer, on connection: SendablePointer
    ) throws(SQLiteStatementError) {
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
            guard bound == SQLITE_OK else { throw error(bound, on: connection) }
        }
    }

    /// The error of a failed call on `connection`: SQLite's message for `code` when it is the
    /// connection's last error (the caller holds the connection's mutex, so no other call came
    /// in between), else the code's generic text.
    private static func error(_ code: Int32, on connection: SendablePointer) -> SQLiteStatementError {
        if sqlite_nio_sqlite3_extended_errcode(connection.raw) == code, let text = sqlite_nio_sqlite3_errmsg(connection.raw) {
            return SQLiteStatementError(code: code, message: String(cString: text))
        }
        let text = sqlite_nio_sqlite3_errstr(code).map { String(cString: $0) } ?? "SQLite error \(code)"
        return SQLiteStatementError(code: code, message: text)
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

/// A connection's own recursive mutex (`sqlite3_db_mutex`), held across a call and the reading
/// of its error.
private struct SQLiteMutex {
    let mutex: OpaquePointer?

    init(_ connection: SendablePointer) { mutex = sqlite_nio_sqlite3_db_mutex(connection.raw) }

    func holding<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        sqlite_nio_sqlite3_mutex_enter(mutex)
        defer { sqlite_nio_sqlite3_mutex_leave(mutex) }
        return try body()
    }
}

/// SQLite's "copy the bytes now" destructor for binds.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A `sqlite3*` or `sqlite3_stmt*`, which only the pool thread using it touches.
private struct SendablePointer: @unchecked Sendable {
    let raw: OpaquePointer
}

/// The connection's pointer (nil once closed), the calls running on it, and the ``close()``
/// calls waiting for them.
private struct Connection: @unchecked Sendable {
    var pointer: OpaquePointer?
    var running = 0
    var closing = false
    var closeWaiters: [CheckedContinuation<Void, any Error>] = []
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
