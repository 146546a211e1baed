import Foundation
import SQLKit
import Testing
import TernCore
import TernStore
import TernTesting

/// The contract every ``ChannelStore`` backend keeps, plus what only the SQL store can check
/// (hashed codes, unknown users, cascades).
@Suite(.timeLimit(.minutes(1))) struct ChannelStoreTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)
    static let expiry = start.addingTimeInterval(600)
    static let hasher = APIKeyHasher(secretKey: Array(repeating: 42, count: 32))

    /// Runs `body` with a fresh store of `backend` and two users that exist in it.
    func withStore(
        _ backend: StoreBackend, _ body: (any ChannelStore, _ ada: UserID, _ bob: UserID) async throws -> Void
    ) async throws {
        try await backend.withStore(
            memory: { (MemoryChannelStore(), "bob") },
            sql: { database -> (any ChannelStore, UserID) in
                let (store, bob) = try await makeSQLStore(database)
                return (store, bob)
            }
        ) { stores in try await body(stores.0, .localUser, stores.1) }
    }

    func withSQLStore(
        _ backend: SQLBackend, _ body: (SQLChannelStore, any DatabaseHandle, _ bob: UserID) async throws -> Void
    ) async throws {
        try await backend.withStore(makeSQLStore) { stores, database in try await body(stores.0, database, stores.1) }
    }

    /// The SQL store, and a user `bob` provisioned next to the local user.
    func makeSQLStore(_ database: any DatabaseHandle) async throws -> (SQLChannelStore, UserID) {
        let (bob, _) = try await SQLTenantStore(database: database)
            .provisionUser(email: "bob@example.com", displayName: "Bob", role: .user)
        return (SQLChannelStore(database: database, hasher: Self.hasher), bob.id)
    }

    @Test(arguments: StoreBackend.allCases)
    func offset_isNilUntilSaved_andNeverMovesBack(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _, _ throws in
            #expect(try await store.offset(for: "telegram") == nil)
            try await store.saveOffset(10, for: "telegram")
            try await store.saveOffset(5, for: "telegram")
            #expect(try await store.offset(for: "telegram") == 10)
            try await store.saveOffset(12, for: "telegram")
            try await store.saveOffset(3, for: "other")
            #expect(try await store.offset(for: "telegram") == 12)
            #expect(try await store.offset(for: "other") == 3)
        }
    }

    /// Samples the race (the callers start together; nothing forces them to interleave), so a
    /// pass is evidence, not proof: the statement itself must be atomic.
    @Test(arguments: StoreBackend.allCases)
    func saveOffset_concurrently_keepsTheHighest_sampled(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _, _ throws in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for offset in Int64(1)...16 { group.addTask { try await store.saveOffset(offset, for: "telegram") } }
                try await group.waitForAll()
            }
            #expect(try await store.offset(for: "telegram") == 16)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func markProcessed_isNewOnce_perChannel_andPruneRemovesOnlyBelow(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _, _ throws in
            #expect(try await store.markProcessed(7, channel: "telegram"))
            #expect(try await !store.markProcessed(7, channel: "telegram"))
            #expect(try await store.markProcessed(7, channel: "other"))
            for id in Int64(8)...10 { #expect(try await store.markProcessed(id, channel: "telegram")) }
            #expect(try await store.pruneProcessed(channel: "telegram", below: 9) == 2)
            #expect(try await store.pruneProcessed(channel: "telegram", below: 9) == 0)
            #expect(try await store.markProcessed(8, channel: "telegram"))  // pruned: new again
            #expect(try await !store.markProcessed(9, channel: "telegram"))
            #expect(try await !store.markProcessed(7, channel: "other"))
        }
    }

    /// Samples the race (the callers start together; nothing forces them to interleave), so a
    /// pass is evidence, not proof: the statement itself must be atomic.
    @Test(arguments: StoreBackend.allCases)
    func markProcessed_concurrently_exactlyOneIsNew_sampled(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _, _ throws in
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { try await store.markProcessed(42, channel: "telegram") } }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func badChannelName_isInvalidAndStoresNothing(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _, _ throws in
            let problem = StoreError.invalid("channel name must be 1 to 100 characters")
            let long = String(repeating: "x", count: 101)
            for channel in ["", long] {
                await #expect(throws: problem) { try await store.saveOffset(1, for: channel) }
                await #expect(throws: problem) { try await store.markProcessed(1, channel: channel) }
                #expect(try await store.offset(for: channel) == nil)
                #expect(try await store.pruneProcessed(channel: channel, below: .max) == 0)
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func linkCode_linksOnce_andIsSingleUse(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, ada, _ throws in
            let code = try await store.createLinkCode(for: ada, expiresAt: Self.expiry)
            #expect(code.count == LinkCode.length && code.allSatisfy(LinkCode.alphabet.contains))
            #expect(try await store.linkedUser(telegramUserID: 1001) == nil)
            // As typed by a person: lower case, stray spaces.
            #expect(try await store.redeemLinkCode(" \(code.lowercased())\n", telegramUserID: 1001, at: Self.start) == ada)
            #expect(try await store.linkedUser(telegramUserID: 1001) == ada)
            #expect(try await store.redeemLinkCode(code, telegramUserID: 1002, at: Self.start) == nil)
            #expect(try await store.linkedUser(telegramUserID: 1002) == nil)
            #expect(try await store.createLinkCode(for: ada, expiresAt: Self.expiry) != code)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func unknownOrMalformedCode_isNilAndLinksNothing(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, ada, _ throws in
            let code = try await store.createLinkCode(for: ada, expiresAt: Self.expiry)
            let unknown = code == "AAAAAAAAAA" ? "BBBBBBBBBB" : "AAAAAAAAAA"
            for attempt in [unknown, "", "ABC", code + "A", "O0O0O0O0O0"] {
                #expect(try await store.redeemLinkCode(attempt, telegramUserID: 1001, at: Self.start) == nil)
            }
            #expect(try await store.linkedUser(telegramUserID: 1001) == nil)
            #expect(try await store.redeemLinkCode(code, telegramUserID: 1001, at: Self.start) == ada)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func expiredCode_isRefusedAndRemoved(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, ada, _ throws in
            let code = try await store.createLinkCode(for: ada, expiresAt: Self.expiry)
            #expect(try await store.redeemLinkCode(code, telegramUserID: 1001, at: Self.expiry) == nil)
            // Removed, not just refused: even a time before expiry no longer finds it.
            #expect(try await store.redeemLinkCode(code, telegramUserID: 1001, at: Self.start) == nil)
            #expect(try await store.linkedUser(telegramUserID: 1001) == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func deleteExpiredLinkCodes_removesOnlyExpired(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, ada, bob throws in
            _ = try await store.createLinkCode(for: ada, expiresAt: Self.start.addingTimeInterval(60))
            let fresh = try await store.createLinkCode(for: bob, expiresAt: Self.expiry)
            #expect(try await store.deleteExpiredLinkCodes(at: Self.start.addingTimeInterval(60)) == 1)
            #expect(try await store.deleteExpiredLinkCodes(at: Self.start.addingTimeInterval(60)) == 0)
            #expect(try await store.redeemLinkCode(fresh, telegramUserID: 1001, at: Self.start) == bob)
        }
    }

    /// Samples the race (the callers start together; nothing forces them to interleave), so a
    /// pass is evidence, not proof: the statement itself must be atomic.
    @Test(arguments: StoreBackend.allCases)
    func redeem_concurrently_exactlyOneWins_sampled(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, ada, _ throws in
            let code = try await store.createLinkCode(for: ada, expiresAt: Self.expiry)
            let winners = try await withThrowingTaskGroup(of: Int64?.self) { group in
                for account in Int64(2001)...2008 {
                    group.addTask {
                        try await store.redeemLinkCode(code, telegramUserID: account, at: Self.start) == nil ? nil : account
                    }
                }
                return try await group.reduce(into: [Int64]()) { if let account = $1 { $0.append(account) } }
            }
            #expect(winners.count == 1)
            for account in Int64(2001)...2008 {
                #expect(try await store.linkedUser(telegramUserID: account) == (winners.contains(account) ? ada : nil))
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func redeem_forALinkedAccount_replacesTheLink_andUnlinkRemovesIt(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, ada, bob throws in
            let forAda = try await store.createLinkCode(for: ada, expiresAt: Self.expiry)
            let forBob = try await store.createLinkCode(for: bob, expiresAt: Self.expiry)
            #expect(try await store.redeemLinkCode(forAda, telegramUserID: 1001, at: Self.start) == ada)
            #expect(try await store.redeemLinkCode(forBob, telegramUserID: 1001, at: Self.start) == bob)
            #expect(try await store.linkedUser(telegramUserID: 1001) == bob)
            try await store.unlink(telegramUserID: 1001)
            #expect(try await store.linkedUser(telegramUserID: 1001) == nil)
            await #expect(throws: StoreError.notFound("telegram user 1001 is not linked")) {
                try await store.unlink(telegramUserID: 1001)
            }
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func linkCodes_areStoredOnlyAsKeyedHashes(_ backend: SQLBackend) async throws {
        try await withSQLStore(backend) { store, database, _ throws in
            let code = try await store.createLinkCode(for: .localUser, expiresAt: Self.expiry)
            let rows = try await database.read { db in
                try await db.raw("SELECT code_hash, user_id FROM telegram_link_codes").all()
            }
            #expect(rows.count == 1)
            let stored = try #require(try rows.first?.decode(column: "code_hash", as: String.self))
            #expect(!stored.uppercased().contains(code) && !stored.contains(code.lowercased()))
            #expect(stored.count == 64 && stored.allSatisfy(\.isHexDigit))
            #expect(stored != Self.hasher.hash(code))  // domain-separated from API key hashes
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func createLinkCode_unknownUser_isNotFoundAndStoresNothing(_ backend: SQLBackend) async throws {
        try await withSQLStore(backend) { store, database, _ throws in
            await #expect(throws: StoreError.notFound("user nobody")) {
                try await store.createLinkCode(for: "nobody", expiresAt: Self.expiry)
            }
            #expect(try await count(database, "telegram_link_codes") == 0)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func deletingAUser_deletesItsLinksAndCodes(_ backend: SQLBackend) async throws {
        try await withSQLStore(backend) { store, database, bob throws in
            let code = try await store.createLinkCode(for: bob, expiresAt: Self.expiry)
            _ = try await store.createLinkCode(for: bob, expiresAt: Self.expiry)
            let adas = try await store.createLinkCode(for: .localUser, expiresAt: Self.expiry)
            #expect(try await store.redeemLinkCode(code, telegramUserID: 1001, at: Self.start) == bob)
            #expect(try await store.redeemLinkCode(adas, telegramUserID: 1002, at: Self.start) == .localUser)
            _ = try await store.createLinkCode(for: .localUser, expiresAt: Self.expiry)
            try await database.write { db in
                try await db.raw("DELETE FROM users WHERE id = \(bind: bob.rawValue)").run()
            }
            #expect(try await store.linkedUser(telegramUserID: 1001) == nil)
            #expect(try await store.linkedUser(telegramUserID: 1002) == .localUser)
            #expect(try await count(database, "telegram_link_codes") == 1)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func inbox_queuesOncePerChannel_inOrder_untilDequeued(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _, _ throws in
            #expect(try await store.queuedUpdates(channel: "telegram").isEmpty)
            #expect(try await store.enqueue(12, payload: #"{"update_id":12}"#, channel: "telegram"))
            #expect(try await store.enqueue(11, payload: #"{"update_id":11}"#, channel: "telegram"))
            #expect(try await !store.enqueue(12, payload: "changed", channel: "telegram"))  // queued already
            #expect(try await store.enqueue(12, payload: "x", channel: "other"))
            #expect(
                try await store.queuedUpdates(channel: "telegram") == [
                    QueuedChannelUpdate(updateID: 11, payload: #"{"update_id":11}"#),
                    QueuedChannelUpdate(updateID: 12, payload: #"{"update_id":12}"#),
                ])
            try await store.dequeue(11, channel: "telegram")
            try await store.dequeue(99, channel: "telegram")  // not queued: nothing happens
            #expect(try await store.queuedUpdates(channel: "telegram").map(\.updateID) == [12])
            #expect(try await store.queuedUpdates(channel: "other").map(\.updateID) == [12])
            await #expect(throws: StoreError.invalid("channel name must be 1 to 100 characters")) {
                try await store.enqueue(1, payload: "x", channel: "")
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func chatContext_isNilUntilChosen_perChatAndChannel(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _, _ throws in
            #expect(try await store.chatContext(chat: 5, channel: "telegram") == nil)
            try await store.setChatContext(.defaultContext, chat: 5, channel: "telegram")
            #expect(try await store.chatContext(chat: 5, channel: "telegram") == .defaultContext)
            #expect(try await store.chatContext(chat: 6, channel: "telegram") == nil)
            #expect(try await store.chatContext(chat: 5, channel: "other") == nil)
            await #expect(throws: StoreError.invalid("channel name must be 1 to 100 characters")) {
                try await store.setChatContext(.defaultContext, chat: 5, channel: "")
            }
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func chatContext_replaces_unknownContextIsNotFound_deletingTheContextForgetsIt(_ backend: SQLBackend)
        async throws
    {
        try await withSQLStore(backend) { store, database, _ throws in
            let tenants = SQLTenantStore(database: database)
            let team = try await tenants.createContext(name: "team", kind: .shared, owner: .localUser)
            try await store.setChatContext(.defaultContext, chat: 5, channel: "telegram")
            try await store.setChatContext(team.id, chat: 5, channel: "telegram")
            #expect(try await store.chatContext(chat: 5, channel: "telegram") == team.id)
            await #expect(throws: StoreError.notFound("context nowhere")) {
                try await store.setChatContext("nowhere", chat: 5, channel: "telegram")
            }
            #expect(try await store.chatContext(chat: 5, channel: "telegram") == team.id)
            try await tenants.deleteContext(team.id)
            #expect(try await store.chatContext(chat: 5, channel: "telegram") == nil)
        }
    }

    private func count(_ database: any DatabaseHandle, _ table: String) async throws -> Int {
        let row = try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
        }
        return try row?.decode(column: "n", as: Int.self) ?? -1
    }
}
