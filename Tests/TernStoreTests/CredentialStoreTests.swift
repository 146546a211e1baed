import Foundation
import SQLKit
import Testing
import TernCore
import TernStore
import TernTesting

/// The ``CredentialStore`` contract on SQLite and PostgreSQL, and the ``CredentialVault`` over
/// it with the real AES-GCM box: values sealed to their place, never stored in plain text.
@Suite(.timeLimit(.minutes(1))) struct CredentialStoreTests {
    static let contextA = ContextID.defaultContext
    static let contextB = SQLBackend.contextB
    static let start = Date(timeIntervalSince1970: 1_700_000_000)
    static let sealedOne = SealedSecret(keyID: "k1", combined: Data([0x00, 0xFF] + Array(0..<30)))
    static let sealedTwo = SealedSecret(keyID: "k2", combined: Data(repeating: 0xAB, count: 40))

    func withStore(_ backend: SQLBackend, _ body: (SQLCredentialStore, SettableClock, any DatabaseHandle) async throws -> Void)
        async throws
    {
        let clock = SettableClock(Self.start)
        try await backend.withStore({ SQLCredentialStore(database: $0, clock: clock) }) { store, database in
            try await body(store, clock, database)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func put_createsThenReplaces_keepingCreatedFields_andListsByNameWithoutValues(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, clock, _ in
            let (first, created) = try await store.put(named: "GITHUB_TOKEN", sealed: Self.sealedOne, by: .localUser, in: Self.contextA)
            #expect(created)
            #expect(first.createdAt == Self.start && first.updatedAt == Self.start && first.createdBy == .localUser)
            clock.advance(by: 10)
            let (second, createdAgain) = try await store.put(named: "GITHUB_TOKEN", sealed: Self.sealedTwo, by: nil, in: Self.contextA)
            #expect(!createdAgain)
            #expect(second.createdAt == Self.start && second.createdBy == .localUser && second.keyID == "k2")
            #expect(second.updatedAt == Self.start.addingTimeInterval(10))
            _ = try await store.put(named: "API_KEY", sealed: Self.sealedOne, by: nil, in: Self.contextA)
            #expect(try await store.credentials(in: Self.contextA).map(\.name) == ["API_KEY", "GITHUB_TOKEN"])
            #expect(try await store.sealedCredential(named: "GITHUB_TOKEN", in: Self.contextA)?.sealed == Self.sealedTwo)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func credentialsInContexts_groupsTheAskedContextsByName_withoutOthers(_ backend: StoreBackend) async throws {
        let clock = SettableClock(Self.start)
        try await backend.withStore(
            memory: { MemoryCredentialStore(clock: clock) }, sql: { SQLCredentialStore(database: $0, clock: clock) }
        ) { (store: any CredentialStore) in
            for name in ["b_TOKEN", "API", "a_KEY"] {
                _ = try await store.put(named: name, sealed: Self.sealedOne, by: nil, in: Self.contextA)
            }
            _ = try await store.put(named: "ONLY_B", sealed: Self.sealedTwo, by: .localUser, in: Self.contextB)

            let both = try await store.credentials(in: [Self.contextA, Self.contextB, ContextID("no-such-context")])
            #expect(Set(both.keys) == [Self.contextA, Self.contextB])
            #expect(both[Self.contextA] == (try await store.credentials(in: Self.contextA)))
            #expect(both[Self.contextA]?.map(\.name) == ["API", "a_KEY", "b_TOKEN"])
            #expect(both[Self.contextB]?.map(\.name) == ["ONLY_B"])
            #expect(both[Self.contextB]?.first?.keyID == "k2" && both[Self.contextB]?.first?.createdBy == .localUser)
            #expect(try await store.credentials(in: [Self.contextB]).keys.map(\.self) == [Self.contextB])
            #expect(try await store.credentials(in: Set<ContextID>()).isEmpty)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func otherContext_seesNothing_andCannotDelete(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _, _ throws in
            _ = try await store.put(named: "TOKEN", sealed: Self.sealedOne, by: nil, in: Self.contextA)
            #expect(try await store.credentials(in: Self.contextB).isEmpty)
            #expect(try await store.sealedCredential(named: "TOKEN", in: Self.contextB) == nil)
            await #expect(throws: StoreError.notFound("credential 'TOKEN'")) {
                try await store.delete(named: "TOKEN", in: Self.contextB)
            }
            #expect(try await store.credentials(in: Self.contextA).count == 1)
            try await store.delete(named: "TOKEN", in: Self.contextA)
            #expect(try await store.credentials(in: Self.contextA).isEmpty)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func unknownContext_orBadName_isRefused_andNothingStored(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _, _ throws in
            await #expect(throws: StoreError.self) {
                try await store.put(named: "TOKEN", sealed: Self.sealedOne, by: nil, in: ContextID("no-such-context"))
            }
            await #expect(throws: StoreError.invalid("a credential name must start with a letter or '_'; got \"1ABC\"")) {
                try await store.put(named: "1ABC", sealed: Self.sealedOne, by: nil, in: Self.contextA)
            }
            #expect(try await store.allSealed().isEmpty)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func reseal_replacesOnlyTheExpectedValue(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _, _ throws in
            _ = try await store.put(named: "TOKEN", sealed: Self.sealedOne, by: nil, in: Self.contextA)
            #expect(try await store.reseal(named: "TOKEN", in: Self.contextA, from: Self.sealedTwo, to: Self.sealedTwo) == false)
            #expect(try await store.reseal(named: "TOKEN", in: Self.contextA, from: Self.sealedOne, to: Self.sealedTwo))
            #expect(try await store.allSealed().map(\.sealed) == [Self.sealedTwo])
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func deletingTheContext_deletesItsCredentials(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _, database in
            _ = try await store.put(named: "TOKEN", sealed: Self.sealedOne, by: nil, in: Self.contextB)
            try await SQLTenantStore(database: database).deleteContext(Self.contextB)
            #expect(try await store.allSealed().isEmpty)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func vault_sealsToThePlace_neverStoresPlaintext_andResolvesReferences(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _, database in
            let vault = CredentialVault(store: store, box: AESGCMSecretBox(secretKey: Array(repeating: 3, count: 32)))
            _ = try await vault.set("s3cr3t-value", named: "TOKEN", in: Self.contextA, by: nil)
            let raw = try await database.read { db in try await db.raw("SELECT * FROM credentials").all() }
            for row in raw {
                for column in row.allColumns {
                    let text = (try? row.decode(column: column, as: String.self)) ?? ""  // non-text columns are not the value
                    #expect(!text.contains("s3cr3t"))
                }
            }
            #expect(try await vault.value(named: "TOKEN", in: Self.contextA) == "s3cr3t-value")
            #expect(try await vault.resolve("Bearer ${cred:TOKEN}!", in: Self.contextA) == "Bearer s3cr3t-value!")
            await #expect(throws: CredentialError.missing(name: "TOKEN", context: Self.contextB)) {
                try await vault.resolve("${cred:TOKEN}", in: Self.contextB)
            }
            // The same sealed bytes copied to another context do not open there.
            let sealed = try #require(try await store.sealedCredential(named: "TOKEN", in: Self.contextA)).sealed
            _ = try await store.put(named: "TOKEN", sealed: sealed, by: nil, in: Self.contextB)
            await #expect(throws: CredentialError.unreadable(name: "TOKEN", context: Self.contextB, .tampered)) {
                try await vault.value(named: "TOKEN", in: Self.contextB)
            }
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func vault_refusesEmptyOrBadValues_namingTheCredentialButNeverTheValue(_ backend: SQLBackend) async throws {
        try await withStore(backend) { store, _, _ throws in
            let vault = CredentialVault(store: store, box: AESGCMSecretBox(secretKey: Array(repeating: 3, count: 32)))
            await #expect(throws: StoreError.invalid("the value of credential 'TOKEN' is empty")) {
                try await vault.set("", named: "TOKEN", in: Self.contextA, by: nil)
            }
            await #expect(throws: StoreError.invalid("the value of credential 'TOKEN' contains a NUL character")) {
                try await vault.set("a\u{0}b", named: "TOKEN", in: Self.contextA, by: nil)
            }
            #expect(try await store.allSealed().isEmpty)
        }
    }
}
