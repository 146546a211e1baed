import Foundation
import SQLKit
import TernCore
import TernStore

/// What the numbers are about: server version, row counts, size on disk and query plans.
struct Inspector {
    let database: any DatabaseHandle

    /// "SQLite 3.x, file PATH" or "PostgreSQL 15.x at host:port/db" (never the password).
    func describe() async throws -> String {
        if let sqlite = database as? SQLiteDatabase {
            return "SQLite \(try await scalar("SELECT sqlite_version() AS n", String.self)), file \(sqlite.path)"
        }
        let location = (database as? PostgresDatabase)?.url.location ?? "?"
        return "PostgreSQL \(try await scalar("SHOW server_version", String.self, column: "server_version")) at \(location)"
    }

    /// PostgreSQL: `VACUUM ANALYZE` after the bulk load, as autovacuum would do before long, so
    /// plans use real statistics. SQLite: nothing (Tern never runs ANALYZE there).
    func settle() async throws {
        guard database.dialect == .postgres else { return }
        let clock = ContinuousClock()
        let start = clock.now
        try await database.write { db in try await db.raw("VACUUM ANALYZE").run() }
        out("VACUUM ANALYZE in \(seconds(clock.now - start))")
    }

    func report(sample: SeededConversation) async throws {
        let counts = try await database.read { db in
            try await db.raw(
                """
                SELECT (SELECT COUNT(*) FROM conversations) AS c, (SELECT COUNT(*) FROM sessions) AS s,
                    (SELECT COUNT(*) FROM messages) AS m
                """
            ).first()
        }
        let rows = try ["c", "s", "m"].map { try counts?.decode(column: $0, as: Int.self) ?? 0 }
        out("rows: \(rows[0]) conversations, \(rows[1]) sessions, \(rows[2]) messages, \(rows.reduce(0, +)) in all")
        out("size on disk: \(try await size())")

        let context = ContextID.defaultContext.rawValue
        // The same builders as SQLConversationStore's (private) queries.
        try await explain("history(of:in:limit: 50)") { db in
            db.select().columns("*").from("messages")
                .where("session_id", .equal, SQLBind(sample.session.rawValue))
                .where("context_id", .equal, SQLBind(context))
                .orderBy("created_at", .descending).limit(50)
        }
        try await explain("currentSession(of:in:)") { db in
            db.select().columns("*").from("sessions")
                .where("conversation_id", .equal, SQLBind(sample.conversation.rawValue))
                .where("context_id", .equal, SQLBind(context))
                .orderBy("created_at", .descending).limit(1)
        }
        try await explain("conversation(in:platform:platformID:)") { db in
            db.select().columns("*").from("conversations")
                .where("platform", .equal, SQLBind(Seeder.platform))
                .where("platform_id", .equal, SQLBind(sample.platformID))
        }
    }

    private func size() async throws -> String {
        if let sqlite = database as? SQLiteDatabase {
            func bytes(_ path: String) -> Int64 {
                ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
            }
            let main = bytes(sqlite.path)
            let wal = bytes(sqlite.path + "-wal")
            return "\(megabytes(main + wal)) (file \(megabytes(main)) + -wal \(megabytes(wal)))"
        }
        let total = try await scalar("SELECT pg_database_size(current_database()) AS n", Int64.self)
        let messages = try await scalar("SELECT pg_total_relation_size('messages') AS n", Int64.self)
        return "\(megabytes(total)) (pg_database_size; messages with its indexes \(megabytes(messages)))"
    }

    private func explain(_ name: String, _ build: @escaping @Sendable (any SQLDatabase) -> SQLSelectBuilder)
        async throws
    {
        let postgres = database.dialect == .postgres
        let (sql, plan) = try await database.read { db in
            let query = build(db).query
            let rows = try await db.raw("\(unsafeRaw: postgres ? "EXPLAIN" : "EXPLAIN QUERY PLAN") \(query)").all()
            let plan = try rows.map { try $0.decode(column: postgres ? "QUERY PLAN" : "detail", as: String.self) }
            return (db.serialize(query).sql, plan)
        }
        out("\nplan of \(name):\n  \(sql)")
        for line in plan { out("  " + line) }
    }

    private func scalar<T: Decodable & Sendable>(_ sql: String, _ type: T.Type, column: String = "n")
        async throws -> T
    {
        let row = try await database.read { db in try await db.raw(SQLQueryString(sql)).first() }
        guard let row else { throw BenchError("no answer to \(sql)") }
        return try row.decode(column: column, as: T.self)
    }
}
