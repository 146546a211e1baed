import Foundation
import Testing
import TernCore
@testable import TernStore

/// The last admin stays an admin, and a user's default context only moves when asked to.
@Suite(.timeLimit(.minutes(1))) struct TenantStoreAdminTests {
    func admins(_ store: SQLTenantStore) async throws -> [UserID] {
        try await store.users().filter { $0.role == .admin }.map(\.id)
    }

    @Test(arguments: SQLBackend.allCases)
    func setRole_lastAdmin_isAConflictAndChangesNothing(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLTenantStore(database: database)
            await #expect(
                throws: StoreError.conflict(
                    "user \(UserID.localUser) is the last admin and cannot be demoted; make another user an admin first")
            ) { try await store.setRole(.user, of: .localUser) }
            #expect(try await admins(store) == [.localUser])

            let (ada, _) = try await store.provisionUser(email: "ada@example.com", displayName: "Ada", role: .admin)
            _ = try await store.setRole(.user, of: .localUser)
            // Self-demotion of the only admin left is refused the same way.
            await #expect(
                throws: StoreError.conflict(
                    "user \(ada.id) is the last admin and cannot be demoted; make another user an admin first")
            ) { try await store.setRole(.user, of: ada.id) }
            #expect(try await admins(store) == [ada.id])
            // Keeping the role, or promoting, is always fine.
            #expect(try await store.setRole(.admin, of: ada.id).role == .admin)
            #expect(try await store.setRole(.admin, of: .localUser).role == .admin)
            await #expect(throws: StoreError.notFound("user ghost")) { try await store.setRole(.user, of: "ghost") }
        }
    }

    /// Samples the race (the callers start together; nothing forces them to interleave), so a
    /// pass is evidence, not proof: the statement itself must be atomic.
    @Test(arguments: SQLBackend.allCases)
    func setRole_concurrentDemotionsOfTheLastTwoAdmins_leaveOne_sampled(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLTenantStore(database: database)
            let (a, _) = try await store.provisionUser(email: "a@example.com", displayName: "A", role: .admin)
            _ = try await store.setRole(.user, of: .localUser)
            for round in 0..<5 {
                let (b, _) = try await store.provisionUser(email: "b\(round)@example.com", displayName: "B", role: .admin)
                let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for id in [a.id, b.id] {
                        group.addTask {
                            do {
                                _ = try await store.setRole(.user, of: id)
                                return true
                            } catch StoreError.conflict {
                                return false
                            }
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1, "round \(round)")
                let left = try await admins(store)
                #expect(left.count == 1, "round \(round)")
                // Put `a` back as the admin for the next round; `b` stays a plain user.
                _ = try await store.setRole(.admin, of: a.id)
                if left != [a.id] { _ = try await store.setRole(.user, of: b.id) }
            }
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func removeAndReAdd_neverMovesTheDefaultToASharedContext(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLTenantStore(database: database)
            let (ada, personal) = try await store.provisionUser(email: "ada@example.com", displayName: "Ada", role: .user)
            let team = try await store.createContext(name: "team", kind: .shared, owner: nil)
            let other = try await store.createContext(name: "other", kind: .shared, owner: nil)
            _ = try await store.addMember(ada.id, to: team.id, role: .member)
            #expect(try await store.memberships(of: ada.id).filter(\.isDefault).map(\.contextID) == [personal.id])

            try await store.removeMember(ada.id, from: personal.id)
            #expect(try await store.memberships(of: ada.id).filter(\.isDefault).isEmpty)
            _ = try await store.addMember(ada.id, to: other.id, role: .member)
            #expect(try await store.memberships(of: ada.id).filter(\.isDefault).isEmpty)

            _ = try await store.addMember(ada.id, to: personal.id, role: .owner)
            #expect(try await store.memberships(of: ada.id).filter(\.isDefault).map(\.contextID) == [personal.id])
            // Shared contexts created with her as owner do not take it either.
            _ = try await store.createContext(name: "hers", kind: .shared, owner: ada.id)
            #expect(try await store.memberships(of: ada.id).filter(\.isDefault).map(\.contextID) == [personal.id])
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func setDefaultContext_movesItExplicitly_andRefusesANonMember(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLTenantStore(database: database)
            let (ada, personal) = try await store.provisionUser(email: "ada@example.com", displayName: "Ada", role: .user)
            let team = try await store.createContext(name: "team", kind: .shared, owner: nil)
            let outside = try await store.createContext(name: "outside", kind: .shared, owner: nil)
            _ = try await store.addMember(ada.id, to: team.id, role: .member)

            let membership = try await store.setDefaultContext(team.id, of: ada.id)
            #expect(membership.isDefault && membership.contextID == team.id)
            #expect(try await store.memberships(of: ada.id).filter(\.isDefault).map(\.contextID) == [team.id])

            let before = try await store.memberships(of: ada.id)
            await #expect(throws: StoreError.notFound("user \(ada.id) is not a member of context \(outside.id)")) {
                try await store.setDefaultContext(outside.id, of: ada.id)
            }
            #expect(try await store.memberships(of: ada.id) == before)
            _ = try await store.setDefaultContext(personal.id, of: ada.id)
            #expect(try await store.memberships(of: ada.id).filter(\.isDefault).map(\.contextID) == [personal.id])
        }
    }
}
