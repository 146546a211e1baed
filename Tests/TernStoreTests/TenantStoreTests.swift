import Foundation
import SQLKit
import Testing
import TernCore
@testable import TernStore

@Suite(.timeLimit(.minutes(1))) struct TenantStoreTests {
    static let hasher = APIKeyHasher(secretKey: Array(repeating: 42, count: 32))

    func count(_ database: any DatabaseHandle, _ table: String) async throws -> Int {
        let row = try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
        }
        return try row?.decode(column: "n", as: Int.self) ?? -1
    }

    @Test(arguments: SQLBackend.allCases)
    func provisionUser_createsUserPersonalContextAndDefaultMembership(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLTenantStore(database: database)
            let (user, context) = try await store.provisionUser(email: "  Ada@Example.COM ", displayName: "Ada", role: .user)
            #expect(user.email == "ada@example.com")
            #expect(context.name == "ada")
            #expect(context.kind == .personal)
            #expect(
                try await store.memberships(of: user.id) == [
                    Membership(
                        userID: user.id, contextID: context.id, contextName: "ada", role: .owner, isDefault: true, contextKind: .personal)
                ])
            #expect(try await store.user(email: "ADA@example.com") == user)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func provisionUser_duplicateEmail_isAConflictAndWritesNothing(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLTenantStore(database: database)
            _ = try await store.provisionUser(email: "bob@example.com", displayName: "Bob", role: .user)
            let before = (try await count(database, "users"), try await count(database, "contexts"))
            await #expect(throws: StoreError.conflict("a user with email bob@example.com already exists")) {
                try await store.provisionUser(email: "BOB@example.com", displayName: "Bob 2", role: .admin)
            }
            #expect((try await count(database, "users"), try await count(database, "contexts")) == before)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func personalContextNames_areMadeUnique(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLTenantStore(database: database)
            let (_, first) = try await store.provisionUser(email: "sam@a.example", displayName: "Sam", role: .user)
            let (_, second) = try await store.provisionUser(email: "sam@b.example", displayName: "Sam", role: .user)
            let (_, odd) = try await store.provisionUser(email: "Ünï+cø@c.example", displayName: "X", role: .user)
            #expect(first.name == "sam")
            #expect(second.name == "sam-2")
            #expect(ContextName.problem(with: odd.name) == nil)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func contexts_badNamesAndDuplicatesAreRejected(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLTenantStore(database: database)
            let team = try await store.createContext(name: "team", kind: .shared, owner: .localUser)
            await #expect(throws: StoreError.conflict("a context named 'team' already exists")) {
                try await store.createContext(name: "team", kind: .shared, owner: nil)
            }
            await #expect(throws: StoreError.self) { try await store.createContext(name: "Bad Name", kind: .shared, owner: nil) }
            await #expect(throws: StoreError.conflict("a context named 'default' already exists")) {
                try await store.renameContext(team.id, to: "default")
            }
            await #expect(throws: StoreError.notFound("context nope")) { try await store.renameContext("nope", to: "x") }
            #expect(try await store.renameContext(team.id, to: "crew").name == "crew")
            #expect(try await store.context(named: "team") == nil)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func members_firstIsDefault_removingTheDefaultNeverPromotesASharedOne(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLTenantStore(database: database)
            let (user, personal) = try await store.provisionUser(email: "m@example.com", displayName: "M", role: .user)
            let team = try await store.createContext(name: "team", kind: .shared, owner: nil)
            let added = try await store.addMember(user.id, to: team.id, role: .viewer)
            #expect(added.isDefault == false)
            #expect(try await store.addMember(user.id, to: team.id, role: .member).role == .member)
            try await store.removeMember(user.id, from: personal.id)
            #expect(try await store.memberships(of: user.id).map(\.contextName) == ["team"])
            // A shared context is never made the default behind the user's back (issue 14, item 8).
            #expect(try await store.memberships(of: user.id).first?.isDefault == false)
            await #expect(throws: StoreError.self) { try await store.removeMember(user.id, from: personal.id) }
            await #expect(throws: StoreError.notFound("user ghost")) { try await store.addMember("ghost", to: team.id, role: .member) }
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func contextSummaries_countEverythingInOneStatement(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let counting = CountingDatabase(database)
            let store = SQLTenantStore(database: counting)
            let conversations = SQLConversationStore(database: database)
            for index in 0..<6 {
                let context = try await store.createContext(name: "c\(index)", kind: .shared, owner: .localUser)
                for thread in 0..<index {
                    let conversation = try await conversations.conversation(in: context.id, platform: "t", platformID: "\(index)-\(thread)")
                    let session = try await conversations.currentSession(of: conversation.id, in: context.id)
                    _ = try await conversations.append(NewMessage(sessionID: session.id, role: .user, content: "x"), in: context.id)
                }
            }
            counting.reset()
            let summaries = try await store.contextSummaries()
            #expect(counting.statements == 1)
            let c5 = try #require(summaries.first { $0.context.name == "c5" })
            #expect(c5.memberCount == 1)
            #expect(c5.conversationCount == 5)
            #expect(c5.messageCount == 5)
            #expect(summaries.map(\.context.name) == ["c0", "c1", "c2", "c3", "c4", "c5", "default"])
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func deletingAContext_removesMembershipsAndKeysScopedToIt(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let store = SQLTenantStore(database: database)
            let keys = SQLAPIKeyStore(database: database, hasher: Self.hasher)
            let team = try await store.createContext(name: "gone", kind: .shared, owner: .localUser)
            let (_, secret) = try await keys.createKey(for: .localUser, context: team.id, name: "scoped")
            try await store.deleteContext(team.id)
            #expect(try await store.members(of: team.id).isEmpty)
            #expect(try await keys.authenticate(secret) == nil)
            await #expect(throws: StoreError.notFound("context \(team.id)")) { try await store.deleteContext(team.id) }
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct APIKeyStoreTests {
    @Test(arguments: SQLBackend.allCases)
    func key_authenticatesUntilRevoked_andOnlyItsHashIsStored(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let keys = SQLAPIKeyStore(database: database, hasher: TenantStoreTests.hasher)
            let (record, secret) = try await keys.createKey(for: .localUser, context: nil, name: "laptop")
            #expect(secret.hasPrefix("tern_"))
            #expect(record.prefix == String(secret.prefix(12)))
            #expect(try await keys.authenticate(secret)?.id == record.id)
            let dump = try await database.read { db in try await db.raw("SELECT * FROM api_keys").all() }
            for row in dump {
                for column in row.allColumns {
                    let value = try? row.decode(column: column, as: String.self)  // non-text columns are skipped
                    #expect(value != secret, "the secret is stored in clear in \(column)")
                }
            }
            let revoked = try await keys.revoke(record.id, at: Date())
            #expect(revoked.revokedAt != nil)
            #expect(try await keys.authenticate(secret) == nil)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func wrongSecretWithTheRightPrefix_isRejected(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let keys = SQLAPIKeyStore(database: database, hasher: TenantStoreTests.hasher)
            let (_, secret) = try await keys.createKey(for: .localUser, context: nil, name: "k")
            let forged = String(secret.dropLast()) + (secret.last == "a" ? "b" : "a")
            #expect(try await keys.authenticate(forged) == nil)
            #expect(try await keys.authenticate("not-a-tern-key") == nil)
            #expect(try await keys.authenticate("") == nil)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func contextRestriction_requiresMembership(_ backend: SQLBackend) async throws {
        try await withTemporaryDatabase(backend) { database throws in
            let tenants = SQLTenantStore(database: database)
            let keys = SQLAPIKeyStore(database: database, hasher: TenantStoreTests.hasher)
            let (user, _) = try await tenants.provisionUser(email: "k@example.com", displayName: "K", role: .user)
            await #expect(throws: StoreError.self) {
                try await keys.createKey(for: user.id, context: .defaultContext, name: "not mine")
            }
            #expect(try await keys.keys(of: user.id).isEmpty)
            await #expect(throws: StoreError.notFound("API key nope")) { try await keys.revoke("nope", at: Date()) }
        }
    }
}
