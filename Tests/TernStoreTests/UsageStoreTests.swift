import Foundation
import SQLKit
import Testing
import TernCore
import TernStore
import TernTesting

/// The contract every ``UsageStore`` backend keeps, plus what only the SQL store can check
/// (unknown contexts and conversations, what deleting them does).
@Suite(.timeLimit(.minutes(1))) struct UsageStoreTests {
    static let contextA = ContextID.defaultContext
    static let contextB = SQLBackend.contextB
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    /// Runs `body` with a fresh store of `backend` in which contexts A and B exist.
    func withStore(_ backend: StoreBackend, _ body: (any UsageStore) async throws -> Void) async throws {
        try await backend.withStore(memory: { MemoryUsageStore() }, sql: { SQLUsageStore(database: $0) }, body)
    }

    func withSQLStore(
        _ backend: SQLBackend, _ body: (SQLUsageStore, any DatabaseHandle) async throws -> Void
    ) async throws {
        try await backend.withStore({ SQLUsageStore(database: $0) }, body)
    }

    /// A `task:title` record of `context`, `seconds` after ``start``.
    func record(
        _ context: ContextID, _ prompt: Int, _ completion: Int, at seconds: Double, estimated: Bool = false,
        conversation: ConversationID? = nil
    ) -> UsageRecord {
        UsageRecord(
            contextID: context, conversationID: conversation, purpose: "task:title",
            usage: TokenUsage(promptTokens: prompt, completionTokens: completion, estimated: estimated),
            createdAt: Self.start.addingTimeInterval(seconds))
    }

    @Test(arguments: StoreBackend.allCases)
    func total_sumsTheContextsRecordsSinceTheDate(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            #expect(try await store.total(in: Self.contextA, since: Self.start) == nil)
            try await store.record(record(Self.contextA, 10, 2, at: 0))
            try await store.record(record(Self.contextA, 20, 3, at: 60))
            try await store.record(record(Self.contextA, 30, 4, at: 120))
            try await store.record(record(Self.contextB, 500, 50, at: 60))
            let sinceStart = try await store.total(in: Self.contextA, since: Self.start)
            #expect(sinceStart == TokenUsage(promptTokens: 60, completionTokens: 9))
            let sinceMinute = try await store.total(in: Self.contextA, since: Self.start.addingTimeInterval(60))
            #expect(sinceMinute == TokenUsage(promptTokens: 50, completionTokens: 7))
            #expect(try await store.total(in: Self.contextB, since: Self.start) == TokenUsage(promptTokens: 500, completionTokens: 50))
            #expect(try await store.total(in: Self.contextA, since: Self.start.addingTimeInterval(121)) == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func total_isEstimatedWhenAnyRecordSinceTheDateWas(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            try await store.record(record(Self.contextA, 10, 2, at: 0, estimated: true))
            try await store.record(record(Self.contextA, 20, 3, at: 60))
            #expect(try await store.total(in: Self.contextA, since: Self.start)?.estimated == true)
            #expect(try await store.total(in: Self.contextA, since: Self.start.addingTimeInterval(60))?.estimated == false)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func record_unknownContextOrOtherContextsConversation_isNotFound_andStoresNothing(
        _ backend: SQLBackend
    ) async throws {
        try await withSQLStore(backend) { store, database throws in
            let unknown: ContextID = "00000000-0000-0000-0000-0000000000ff"
            await #expect(throws: StoreError.notFound("context \(unknown)")) {
                try await store.record(record(unknown, 1, 1, at: 0))
            }
            let conversation = try await SQLConversationStore(database: database)
                .conversation(in: Self.contextA, platform: "openai", platformID: "t")
            await #expect(throws: StoreError.notFound("conversation \(conversation.id)")) {
                try await store.record(record(Self.contextB, 1, 1, at: 0, conversation: conversation.id))
            }
            #expect(try await store.total(in: Self.contextB, since: Self.start) == nil)
            #expect(try await usageRows(database) == 0)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func deletingItsConversation_keepsTheRecord_deletingItsContext_removesIt(_ backend: SQLBackend) async throws {
        try await withSQLStore(backend) { store, database throws in
            let conversation = try await SQLConversationStore(database: database)
                .conversation(in: Self.contextB, platform: "openai", platformID: "t")
            try await store.record(record(Self.contextB, 7, 1, at: 0, conversation: conversation.id))
            try await database.write { db in
                try await db.delete(from: "conversations").where("id", .equal, SQLBind(conversation.id.rawValue)).run()
            }
            #expect(try await store.total(in: Self.contextB, since: Self.start) == TokenUsage(promptTokens: 7, completionTokens: 1))
            try await database.write { db in
                try await db.delete(from: "contexts").where("id", .equal, SQLBind(Self.contextB.rawValue)).run()
            }
            #expect(try await usageRows(database) == 0)
        }
    }

    private func usageRows(_ database: any DatabaseHandle) async throws -> Int {
        let row = try await database.read { db in try await db.raw("SELECT COUNT(*) AS n FROM usage_records").first() }
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }
}
