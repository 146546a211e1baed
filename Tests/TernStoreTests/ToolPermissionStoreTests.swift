import Foundation
import SQLKit
import Testing
import TernCore
import TernStore
import TernTesting

/// The contract every ``ToolPermissionStore`` backend keeps, plus what only the SQL store can
/// check (unknown contexts, cascades).
@Suite(.timeLimit(.minutes(1))) struct ToolPermissionStoreTests {
    static let contextA = ContextID.defaultContext
    static let contextB = SQLBackend.contextB

    /// Runs `body` with a fresh store of `backend` in which contexts A and B exist.
    func withStore(_ backend: StoreBackend, _ body: (any ToolPermissionStore) async throws -> Void) async throws {
        try await backend.withStore(memory: { MemoryToolPermissionStore() }, sql: { makeSQLStore($0) }, body)
    }

    func withSQLStore(
        _ backend: SQLBackend, _ body: (SQLToolPermissionStore, any DatabaseHandle) async throws -> Void
    ) async throws {
        try await backend.withStore(makeSQLStore, body)
    }

    func makeSQLStore(_ database: any DatabaseHandle) -> SQLToolPermissionStore {
        SQLToolPermissionStore(database: database)
    }

    @Test(arguments: StoreBackend.allCases)
    func setPermission_upsertsAndReplaces_perContext(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            #expect(try await store.permissions(in: Self.contextA).isEmpty)
            try await store.setPermission(.deny, for: "web_fetch", in: Self.contextA)
            try await store.setPermission(.allow, for: "shell-run", in: Self.contextA)
            try await store.setPermission(.allow, for: "web_fetch", in: Self.contextA)
            try await store.setPermission(.deny, for: "web_fetch", in: Self.contextB)
            #expect(try await store.permissions(in: Self.contextA) == ["web_fetch": .allow, "shell-run": .allow])
            #expect(try await store.permissions(in: Self.contextB) == ["web_fetch": .deny])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func removePermission_removesOnlyThatRow_andMissingIsNotFound(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            try await store.setPermission(.deny, for: "web_fetch", in: Self.contextA)
            try await store.setPermission(.deny, for: "web_fetch", in: Self.contextB)
            try await store.setPermission(.allow, for: "calc", in: Self.contextA)
            try await store.removePermission(for: "web_fetch", in: Self.contextA)
            #expect(try await store.permissions(in: Self.contextA) == ["calc": .allow])
            #expect(try await store.permissions(in: Self.contextB) == ["web_fetch": .deny])
            let missing = StoreError.notFound("no permission for tool 'web_fetch' in context \(Self.contextA)")
            await #expect(throws: missing) {
                try await store.removePermission(for: "web_fetch", in: Self.contextA)
            }
            await #expect(throws: StoreError.notFound("no permission for tool 'calc' in context \(Self.contextB)")) {
                try await store.removePermission(for: "calc", in: Self.contextB)
            }
            #expect(try await store.permissions(in: Self.contextA) == ["calc": .allow])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func setPermission_invalidToolName_isInvalidAndStoresNothing(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            try await store.setPermission(.allow, for: "calc", in: Self.contextA)
            let tooLong = String(repeating: "a", count: 65)
            for name in ["", "web fetch", "wéb", "a.b", tooLong] {
                await #expect(
                    throws: StoreError.invalid("'\(name)' is not a valid tool name (letters, digits, _ and -, 1 to 64)")
                ) {
                    try await store.setPermission(.deny, for: name, in: Self.contextA)
                }
            }
            #expect(try await store.permissions(in: Self.contextA) == ["calc": .allow])
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func setPermission_unknownContext_isNotFoundAndStoresNothing(_ backend: SQLBackend) async throws {
        try await withSQLStore(backend) { store, database throws in
            await #expect(throws: StoreError.notFound("context nope")) {
                try await store.setPermission(.allow, for: "calc", in: "nope")
            }
            #expect(try await rowCount(database) == 0)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func deletingAContext_deletesItsPermissions(_ backend: SQLBackend) async throws {
        try await withSQLStore(backend) { store, database throws in
            try await store.setPermission(.deny, for: "web_fetch", in: Self.contextA)
            try await store.setPermission(.deny, for: "web_fetch", in: Self.contextB)
            try await SQLTenantStore(database: database).deleteContext(Self.contextB)
            #expect(try await store.permissions(in: Self.contextB).isEmpty)
            #expect(try await store.permissions(in: Self.contextA) == ["web_fetch": .deny])
            #expect(try await rowCount(database) == 1)
        }
    }

    private func rowCount(_ database: any DatabaseHandle) async throws -> Int {
        let row = try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM tool_permissions").first()
        }
        return try row?.decode(column: "n", as: Int.self) ?? -1
    }
}

/// The tenant store advances its ``MembershipEpoch`` on every membership change, and only then.
@Suite(.timeLimit(.minutes(1))) struct MembershipEpochTests {
    @Test(arguments: SQLBackend.allCases)
    func epoch_advancesOnAddRemoveAndDeleteContext_notOnFailures(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let epoch = MembershipEpoch()
            let store = SQLTenantStore(database: database, epoch: epoch)
            let (user, _) = try await store.provisionUser(email: "e@example.com", displayName: "E", role: .user)
            let team = try await store.createContext(name: "team", kind: .shared, owner: nil)
            let start = epoch.current
            _ = try await store.addMember(user.id, to: team.id, role: .member)
            #expect(epoch.current == start + 1)
            _ = try await store.addMember(user.id, to: team.id, role: .viewer)
            #expect(epoch.current == start + 2)
            try await store.removeMember(user.id, from: team.id)
            #expect(epoch.current == start + 3)
            await #expect(throws: StoreError.self) { try await store.removeMember(user.id, from: team.id) }
            await #expect(throws: StoreError.self) { try await store.addMember(user.id, to: "nope", role: .member) }
            #expect(epoch.current == start + 3)
            try await store.deleteContext(team.id)
            #expect(epoch.current == start + 4)
        }
    }
}
