import Foundation
import SQLKit
package import TernCore

/// ``MCPServerStore`` on SQLKit; the same queries serve SQLite and PostgreSQL. Every statement is
/// scoped by `context_id`, so another context's server reads as not found.
package struct SQLMCPServerStore: MCPServerStore {
    private let database: any DatabaseHandle
    private let clock: MonotonicMicroseconds
    /// Advanced on every change through this store.
    private let changes = MembershipEpoch()
    /// Each context's servers, read by every turn that offers tools.
    private let cache: EpochCache<ContextID, [MCPServerRecord]>

    /// - Parameters:
    ///   - clock: the time source for `created_at` and `updated_at`.
    ///   - cacheMaxAge: how long a context's server list is reused; changes through this store
    ///     apply at once, changes by another process (a replica, `tern mcp`) within this time.
    package init(
        database: any DatabaseHandle, clock: any WallClock = SystemWallClock(),
        cacheMaxAge: Duration = TenantCache.defaultMaxAge
    ) {
        self.database = database
        self.clock = MonotonicMicroseconds(clock: clock)
        cache = EpochCache(epoch: changes, maxAge: cacheMaxAge)
    }

    package func servers(in context: ContextID) async throws -> [MCPServerRecord] {
        try await cache.value(for: context) { try await read(context) } ?? []
    }

    private func read(_ context: ContextID) async throws -> [MCPServerRecord] {
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.select().columns("*").from("mcp_servers")
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .all()
            }
        }
        // Sorted here, by bytes, rather than with ORDER BY: PostgreSQL orders text by the
        // database's locale, SQLite by bytes, and every backend should list alike.
        return try rows.map(Self.decode).sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// Read afresh, not through the per-context cache: one statement for every context asked.
    package func servers(in contexts: Set<ContextID>) async throws -> [ContextID: [MCPServerRecord]] {
        if contexts.isEmpty { return [:] }
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.select().columns("*").from("mcp_servers")
                    .where("context_id", .in, SQLBind.group(contexts.map(\.rawValue).sorted()))
                    .all()
            }
        }
        return try Dictionary(grouping: rows.map(Self.decode), by: \.contextID).mapValues { servers in
            servers.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        }
    }

    package func server(named name: String, in context: ContextID) async throws -> MCPServerRecord {
        let row = try await mapErrors {
            try await database.read { db in
                try await db.select().columns("*").from("mcp_servers")
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .where("name", .equal, SQLBind(name))
                    .first()
            }
        }
        guard let row else { throw StoreError.notFound("MCP server '\(name)'") }
        return try Self.decode(row)
    }

    package func add(_ server: MCPServerRecord) async throws -> MCPServerRecord {
        defer { changes.advance() }
        if let problem = server.validationProblem() { throw StoreError.invalid(problem) }
        var stored = server
        let now = clock.next()
        stored.createdAt = now
        stored.updatedAt = now
        let arguments = try Self.json(server.arguments)
        let environment = try Self.json(server.environment)
        let headers = try Self.json(server.headers)
        try await mapErrors {
            try await database.transaction { db in
                // Checked first so an unknown context and a taken name read the same on SQLite and
                // PostgreSQL (their constraint errors differ); the constraints still guard a race.
                try await SQLTenantStore.requireContext(db, server.contextID)
                let taken = try await db.select().column("id").from("mcp_servers")
                    .where("context_id", .equal, SQLBind(server.contextID.rawValue))
                    .where("name", .equal, SQLBind(server.name))
                    .first()
                if taken != nil {
                    throw StoreError.conflict("MCP server '\(server.name)' already exists in this context")
                }
                try await db.insert(into: "mcp_servers")
                    .columns(
                        "id", "context_id", "name", "transport", "command", "arguments", "environment", "url",
                        "headers", "enabled", "created_at", "updated_at"
                    )
                    .values(
                        SQLBind(server.id.rawValue), SQLBind(server.contextID.rawValue), SQLBind(server.name),
                        SQLBind(server.transport.rawValue), SQLBind(server.command), SQLBind(arguments),
                        SQLBind(environment), SQLBind(server.url), SQLBind(headers), SQLBind(server.enabled ? 1 : 0),
                        SQLBind(now), SQLBind(now)
                    )
                    .run()
            }
        }
        return stored
    }

    package func setEnabled(_ enabled: Bool, named name: String, in context: ContextID) async throws
        -> MCPServerRecord
    {
        defer { changes.advance() }
        let now = clock.next()
        let row = try await mapErrors {
            try await database.write { db in
                // Strictly later than the stored time even if this process's clock is behind the
                // one that wrote it: the client pool reconnects when `updated_at` changes.
                try await db.update("mcp_servers")
                    .set("enabled", to: SQLBind(enabled ? 1 : 0))
                    .set(
                        "updated_at",
                        to: SQLQueryString(
                            "CASE WHEN updated_at >= \(bind: now) THEN updated_at + 1 ELSE \(bind: now) END")
                    )
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .where("name", .equal, SQLBind(name))
                    .returning("*")
                    .first()
            }
        }
        guard let row else { throw StoreError.notFound("MCP server '\(name)'") }
        return try Self.decode(row)
    }

    package func remove(named name: String, in context: ContextID) async throws {
        defer { changes.advance() }
        let removed = try await mapErrors {
            try await database.write { db in
                try await db.delete(from: "mcp_servers")
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .where("name", .equal, SQLBind(name))
                    .returning("id")
                    .all()
            }
        }
        if removed.isEmpty { throw StoreError.notFound("MCP server '\(name)'") }
    }

    private static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw StoreError.invalid("cannot encode MCP server fields as JSON: \(error)")
        }
    }

    private static func decode(_ row: any SQLRow) throws -> MCPServerRecord {
        let name = try row.decode(column: "name", as: String.self)
        let transport = try row.decode(column: "transport", as: String.self)
        func column<T: Decodable>(_ column: String, as type: T.Type) throws -> T {
            let text = try row.decode(column: column, as: String.self)
            do {
                return try JSONDecoder().decode(type, from: Data(text.utf8))
            } catch {
                throw StoreError.database("MCP server '\(name)': column \(column) is not valid JSON (\(error))")
            }
        }
        return MCPServerRecord(
            id: MCPServerID(try row.decode(column: "id", as: String.self)),
            contextID: ContextID(try row.decode(column: "context_id", as: String.self)),
            name: name,
            transport: try MCPTransportKind(rawValue: transport).unwrap("unknown MCP transport \(transport)"),
            command: try row.decode(column: "command", as: String?.self),
            arguments: try column("arguments", as: [String].self),
            environment: try column("environment", as: [MCPVariable].self),
            url: try row.decode(column: "url", as: String?.self),
            headers: try column("headers", as: [MCPVariable].self),
            enabled: try row.decode(column: "enabled", as: Int.self) != 0,
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            updatedAt: try row.decode(column: "updated_at", as: Int64.self))
    }
}
