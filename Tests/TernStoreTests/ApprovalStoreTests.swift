import Foundation
import SQLKit
import Synchronization
import Testing
import TernCore
import TernStore
import TernTesting

/// The contract every ``ApprovalStore`` backend keeps, plus what only the SQL store can check
/// (unknown contexts, foreign conversations, cascades).
@Suite(.timeLimit(.minutes(1))) struct ApprovalStoreTests {
    static let contextA = ContextID.defaultContext
    static let contextB = SQLBackend.contextB
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    /// Runs `body` with a fresh store of `backend` whose clock the test sets; contexts A and B exist.
    func withStore(_ backend: StoreBackend, _ body: (any ApprovalStore, SettableClock) async throws -> Void) async throws {
        let clock = SettableClock(Self.start)
        try await backend.withStore(
            memory: { MemoryApprovalStore(clock: clock) }, sql: { SQLApprovalStore(database: $0, clock: clock) }
        ) { (store: any ApprovalStore) in try await body(store, clock) }
    }

    func withSQLStore(
        _ backend: SQLBackend, clock: SettableClock = SettableClock(start),
        _ body: (SQLApprovalStore, any DatabaseHandle) async throws -> Void
    ) async throws {
        try await backend.withStore({ SQLApprovalStore(database: $0, clock: clock) }, body)
    }

    func request(_ context: ContextID = contextA, tool: String = "web_fetch", conversation: ConversationID? = nil)
        -> NewApproval
    {
        NewApproval(
            contextID: context, conversationID: conversation, requestedBy: .localUser, tool: tool,
            arguments: #"{"url":"https://example.com"}"#, expiresAt: Self.start.addingTimeInterval(300))
    }

    func approve(at seconds: TimeInterval = 10, reason: String? = nil) -> ApprovalDecision {
        ApprovalDecision(
            status: .approved, decidedBy: .localUser, reason: reason, at: Self.start.addingTimeInterval(seconds))
    }

    @Test(arguments: StoreBackend.allCases)
    func create_storesAPendingRequestThatReadsBackEqual(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            let created = try await store.create(request())
            #expect(created.status == .pending)
            #expect(created.contextID == Self.contextA)
            #expect(created.tool == "web_fetch")
            #expect(created.createdAt == Self.start)
            #expect(created.expiresAt == Self.start.addingTimeInterval(300))
            #expect(created.decidedAt == nil && created.decidedBy == nil && created.reason == nil)
            #expect(try await store.approval(created.id, in: Self.contextA) == created)
            #expect(try await store.pending(in: Self.contextA) == [created])
            #expect(try await store.approval("missing", in: Self.contextA) == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func otherContext_cannotReadOrDecide_andTheRowIsUnchanged(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            let created = try await store.create(request())
            #expect(try await store.approval(created.id, in: Self.contextB) == nil)
            #expect(try await store.pending(in: Self.contextB).isEmpty)
            await #expect(throws: StoreError.notFound("approval \(created.id)")) {
                try await store.decide(created.id, in: Self.contextB, approve())
            }
            #expect(try await store.approval(created.id, in: Self.contextA) == created)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func decide_recordsTheDecision_andASecondDecisionIsAConflict(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            let created = try await store.create(request())
            let decided = try await store.decide(created.id, in: Self.contextA, approve(reason: "looks fine"))
            #expect(decided.status == .approved)
            #expect(decided.decidedBy == .localUser)
            #expect(decided.reason == "looks fine")
            #expect(decided.decidedAt == Self.start.addingTimeInterval(10))
            #expect(decided.createdAt == created.createdAt && decided.arguments == created.arguments)
            let denial = ApprovalDecision(status: .denied, decidedBy: .localUser, reason: "no", at: Self.start)
            await #expect(throws: StoreError.conflict("approval \(created.id) is already approved")) {
                try await store.decide(created.id, in: Self.contextA, denial)
            }
            #expect(try await store.approval(created.id, in: Self.contextA) == decided)
            #expect(try await store.pending(in: Self.contextA).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func decide_pending_isInvalidAndChangesNothing(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            let created = try await store.create(request())
            let pending = ApprovalDecision(status: .pending, decidedBy: .localUser, at: Self.start)
            await #expect(throws: StoreError.invalid("a decision on approval \(created.id) cannot be 'pending'")) {
                try await store.decide(created.id, in: Self.contextA, pending)
            }
            #expect(try await store.approval(created.id, in: Self.contextA) == created)
        }
    }

    /// Samples the race (the callers start together; nothing forces them to interleave), so a
    /// pass is evidence, not proof: the statement itself must be atomic.
    @Test(arguments: StoreBackend.allCases)
    func decide_concurrently_exactlyOneWins_sampled(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            let created = try await store.create(request())
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        do {
                            _ = try await store.decide(created.id, in: Self.contextA, approve(at: Double(index)))
                            return true
                        } catch StoreError.conflict {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func pending_isOldestFirst_andLeavesDecidedOut(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, clock throws in
            let first = try await store.create(request(tool: "one"))
            clock.advance(by: 1)
            let second = try await store.create(request(tool: "two"))
            let third = try await store.create(request(tool: "three"))  // same tick: still after
            _ = try await store.decide(second.id, in: Self.contextA, approve())
            #expect(try await store.pending(in: Self.contextA).map(\.tool) == ["one", "three"])
            #expect(first.createdAt < second.createdAt && second.createdAt < third.createdAt)
        }
    }

    /// Runs `body` with a fresh approval store of `backend` and the instance store it reads.
    func withStores(
        _ backend: StoreBackend, _ body: (any ApprovalStore, any InstanceStore, SettableClock) async throws -> Void
    ) async throws {
        let clock = SettableClock(Self.start)
        let memoryInstances = MemoryInstanceStore()
        try await backend.withStore(
            memory: { () -> (any ApprovalStore, any InstanceStore) in
                (MemoryApprovalStore(instances: memoryInstances, clock: clock), memoryInstances)
            },
            sql: { database -> (any ApprovalStore, any InstanceStore) in
                (SQLApprovalStore(database: database, clock: clock), SQLInstanceStore(database: database))
            }
        ) { stores in try await body(stores.0, stores.1, clock) }
    }

    @Test(arguments: StoreBackend.allCases)
    func expireOrphaned_expiresPendingRowsOfGoneInstances_inEveryContext(_ backend: StoreBackend) async throws {
        try await withStores(backend) { store, instances, clock throws in
            let live: InstanceID = "live"
            let stale: InstanceID = "stale"
            let me: InstanceID = "me"
            try await instances.beat(stale, at: Self.start)
            try await instances.beat(live, at: Self.start.addingTimeInterval(100))
            func create(_ context: ContextID, _ instance: InstanceID?, _ tool: String) async throws -> Approval {
                var new = request(context, tool: tool)
                new.instanceID = instance
                return try await store.create(new)
            }
            let liveA = try await create(Self.contextA, live, "live_a")
            let staleB = try await create(Self.contextB, stale, "stale_b")
            let mine = try await create(Self.contextA, me, "mine")
            let legacy = try await create(Self.contextA, nil, "legacy")
            let decided = try await store.decide(
                try await create(Self.contextA, stale, "decided").id, in: Self.contextA,
                ApprovalDecision(status: .denied, decidedBy: .localUser, reason: "no", at: Self.start))
            #expect(liveA.instanceID == live)
            #expect(try await store.approval(liveA.id, in: Self.contextA)?.instanceID == live)
            clock.advance(by: 200)
            let time = Self.start.addingTimeInterval(200)
            let changed = try await store.expireOrphaned(
                seenBefore: Self.start.addingTimeInterval(50), keep: me, reason: "turn gone", at: time)
            #expect(changed == 2)
            for (gone, context) in [(staleB, Self.contextB), (legacy, Self.contextA)] {
                let expired = try #require(try await store.approval(gone.id, in: context))
                #expect(expired.status == .expired)
                #expect(expired.reason == "turn gone")
                #expect(expired.decidedAt == time && expired.decidedBy == nil)
            }
            #expect(try await store.approval(decided.id, in: Self.contextA) == decided)
            #expect(try await store.pending(in: Self.contextA) == [liveA, mine])
            #expect(
                try await store.expireOrphaned(seenBefore: Self.start.addingTimeInterval(50), keep: me, reason: "x", at: time)
                    == 0)
            // A stopped instance removes its row: its requests are orphans at once.
            try await instances.remove(live)
            #expect(
                try await store.expireOrphaned(seenBefore: Self.start.addingTimeInterval(50), keep: me, reason: "x", at: time)
                    == 1)
            #expect(try await store.pending(in: Self.contextA) == [mine])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func instances_beatRenews_pruneDropsOnlyStaleRows(_ backend: StoreBackend) async throws {
        try await withStores(backend) { store, instances, _ throws in
            try await instances.beat("old", at: Self.start)
            try await instances.beat("renewed", at: Self.start)
            try await instances.beat("renewed", at: Self.start.addingTimeInterval(100))
            #expect(try await instances.prune(notSeenSince: Self.start.addingTimeInterval(50)) == 1)
            var new = request(tool: "of_renewed")
            new.instanceID = "renewed"
            _ = try await store.create(new)
            #expect(
                try await store.expireOrphaned(seenBefore: Self.start.addingTimeInterval(50), keep: nil, reason: "x", at: Self.start)
                    == 0)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func create_invalidToolName_isInvalidAndStoresNothing(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            let problem = "'no such tool' is not a valid tool name (letters, digits, _ and -, 1 to 64)"
            await #expect(throws: StoreError.invalid(problem)) {
                try await store.create(request(tool: "no such tool"))
            }
            #expect(try await store.pending(in: Self.contextA).isEmpty)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func create_unknownContextOrForeignConversation_isNotFoundAndStoresNothing(_ backend: SQLBackend) async throws {
        try await withSQLStore(backend) { store, database throws in
            let conversations = SQLConversationStore(database: database)
            let ofB = try await conversations.conversation(in: Self.contextB, platform: "cli", platformID: "b")
            await #expect(throws: StoreError.notFound("context nope")) { try await store.create(request("nope")) }
            await #expect(throws: StoreError.notFound("conversation \(ofB.id)")) {
                try await store.create(request(conversation: ofB.id))
            }
            #expect(try await count(database, "approvals") == 0)
            let ofA = try await conversations.conversation(in: Self.contextA, platform: "cli", platformID: "a")
            let created = try await store.create(request(conversation: ofA.id))
            #expect(try await store.approval(created.id, in: Self.contextA)?.conversationID == ofA.id)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func deletingAContext_deletesItsApprovals_deletingTheDeciderKeepsTheDecision(_ backend: SQLBackend) async throws {
        try await withSQLStore(backend) { store, database throws in
            let tenants = SQLTenantStore(database: database)
            let (ada, _) = try await tenants.provisionUser(email: "ada@example.com", displayName: "Ada", role: .user)
            let inA = try await store.create(request())
            _ = try await store.create(request(Self.contextB))
            _ = try await store.decide(
                inA.id, in: Self.contextA, ApprovalDecision(status: .approved, decidedBy: ada.id, at: Self.start))
            try await tenants.deleteContext(Self.contextB)
            #expect(try await count(database, "approvals") == 1)
            try await database.write { db in
                try await db.raw("DELETE FROM users WHERE id = \(bind: ada.id.rawValue)").run()
            }
            let kept = try #require(try await store.approval(inA.id, in: Self.contextA))
            #expect(kept.status == .approved && kept.decidedBy == nil)
        }
    }

    private func count(_ database: any DatabaseHandle, _ table: String) async throws -> Int {
        let row = try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
        }
        return try row?.decode(column: "n", as: Int.self) ?? -1
    }
}

/// A wall clock that stands still until a test moves it.
final class SettableClock: WallClock {
    private let current: Mutex<Date>

    init(_ start: Date) { current = Mutex(start) }

    func now() -> Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
}
