import Foundation
import SQLKit
package import TernCore

/// ``ToolPermissionStore`` on SQLKit; the same queries serve SQLite and PostgreSQL.
package struct SQLToolPermissionStore: ToolPermissionStore {
    private let database: any DatabaseHandle
    private let clock: MonotonicMicroseconds
    /// Advanced on every change through this store.
    private let changes = MembershipEpoch()
    /// Each context's permissions, read by every turn.
    private let cache: EpochCache<ContextID, [String: ToolPermission]>

    /// - Parameters:
    ///   - clock: the time source for `updated_at`.
    ///   - cacheMaxAge: how long a context's permissions are reused; changes through this store
    ///     apply at once, changes by another process (a replica, `tern tools`) within this time.
    package init(
        database: any DatabaseHandle, clock: any WallClock = SystemWallClock(),
        cacheMaxAge: Duration = TenantCache.defaultMaxAge
    ) {
        self.database = database
        self.clock = MonotonicMicroseconds(clock: clock)
        cache = EpochCache(epoch: changes, maxAge: cacheMaxAge)
    }

    package func permissions(in context: ContextID) async throws -> [String: ToolPermission] {
        try await cache.value(for: context) { try await read(context) } ?? [:]
    }

    private func read(_ context: ContextID) async throws -> [String: ToolPermission] {
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.select().columns("tool_name", "permission").from("tool_permissions")
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .all()
            }
        }
        var permissions: [String: ToolPermission] = [:]
        for row in rows {
            let name = try row.decode(column: "tool_name", as: String.self)
            let value = try row.decode(column: "permission", as: String.self)
            permissions[name] = try ToolPermission(rawValue: value).unwrap("unknown tool permission \(value)")
        }
        return permissions
    }

    package func setPermission(_ permission: ToolPermission, for tool: String, in context: ContextID) async throws {
        defer { changes.advance() }
        guard ToolSpec.isValidName(tool) else {
            throw StoreError.invalid("'\(tool)' is not a valid tool name (letters, digits, _ and -, 1 to 64)")
        }
        let now = clock.next()
        try await mapErrors {
            try await database.transaction { db in
                // Checked first so an unknown context reads the same on SQLite and PostgreSQL
                // (their foreign-key errors differ); the foreign key still guards a race.
                try await SQLTenantStore.requireContext(db, context)
                try await db.insert(into: "tool_permissions")
                    .columns("context_id", "tool_name", "permission", "updated_at")
                    .values(SQLBind(context.rawValue), SQLBind(tool), SQLBind(permission.rawValue), SQLBind(now))
                    .onConflict(with: ["context_id", "tool_name"]) { update in
                        update.set(excludedValueOf: "permission").set(excludedValueOf: "updated_at")
                    }
                    .run()
            }
        }
    }

    package func removePermission(for tool: String, in context: ContextID) async throws {
        defer { changes.advance() }
        let removed = try await mapErrors {
            try await database.write { db in
                try await db.delete(from: "tool_permissions")
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .where("tool_name", .equal, SQLBind(tool))
                    .returning("tool_name")
                    .all()
            }
        }
        if removed.isEmpty {
            throw StoreError.notFound("no permission for tool '\(tool)' in context \(context)")
        }
    }
}
