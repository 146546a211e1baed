import Foundation
import SQLKit
import Testing
import TernCore
@testable import TernStore

/// Deleting a user takes what was only theirs and keeps the last admin, on every backend.
@Suite(.timeLimit(.minutes(1))) struct TenantStoreDeleteUserTests {
    @Test(arguments: SQLBackend.allCases)
    func deleteUser_takesMembershipsKeysAndLonePersonalContexts(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLTenantStore(database: database)
            let keys = SQLAPIKeyStore(database: database, hasher: TenantStoreTests.hasher)
            let (ada, personal) = try await store.provisionUser(email: "ada@example.com", displayName: "Ada", role: .user)
            let (bob, shared) = try await store.provisionUser(email: "bob@example.com", displayName: "Bob", role: .user)
            _ = try await store.addMember(ada.id, to: shared.id, role: .member)
            _ = try await keys.createKey(for: ada.id, context: nil, name: "laptop")
            let epoch = store.epoch.current
            #expect(try await store.deleteUser(ada.id) == [personal.name])
            #expect(store.epoch.current > epoch)
            #expect(try await store.user(ada.id) == nil)
            #expect(try await store.context(personal.id) == nil)
            #expect(try await store.members(of: shared.id).map(\.userID) == [bob.id], "bob's personal context stays")
            #expect(try await keys.keys(of: ada.id).isEmpty)
            await #expect(throws: StoreError.notFound("user \(ada.id)")) { try await store.deleteUser(ada.id) }
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func deleteUser_lastAdminAndLocalUser_areRefusedAndChangeNothing(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLTenantStore(database: database)
            let (root, _) = try await store.provisionUser(email: "root@example.com", displayName: "Root", role: .admin)
            _ = try await store.setRole(.user, of: .localUser)
            await #expect(
                throws: StoreError.conflict(
                    "user \(root.id) is the last admin and cannot be deleted; make another user an admin first")
            ) { try await store.deleteUser(root.id) }
            #expect(try await store.user(root.id)?.role == .admin)
            #expect(try await store.memberships(of: root.id).count == 1)
            await #expect(throws: StoreError.self) { try await store.deleteUser(.localUser) }
            #expect(try await store.user(.localUser) != nil)
            // With another admin, the former last one may go.
            _ = try await store.setRole(.admin, of: .localUser)
            #expect(try await store.deleteUser(root.id).count == 1)
        }
    }
}
