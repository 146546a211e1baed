import Foundation
import SQLKit
import Testing
import TernCore
import TernStore
import TernTesting

/// The contract every ``ConversationStore`` backend keeps. Runs against each backend.
@Suite(.timeLimit(.minutes(1))) struct ConversationStoreContractTests {
    static let contextA = ContextID.defaultContext
    static let contextB = SQLBackend.contextB

    /// Runs `body` with a fresh store of `backend` in which contexts A and B exist.
    func withStore(_ backend: StoreBackend, _ body: (any ConversationStore) async throws -> Void) async throws {
        try await backend.withStore(memory: { MemoryConversationStore() }, sql: { SQLConversationStore(database: $0) }, body)
    }

    @Test(arguments: StoreBackend.allCases)
    func conversation_isCreatedOnceAndFoundAgain(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let first = try await store.conversation(in: Self.contextA, platform: "openai", platformID: "t1")
            let again = try await store.conversation(in: Self.contextA, platform: "openai", platformID: "t1")
            let other = try await store.conversation(in: Self.contextA, platform: "cli", platformID: "t1")
            #expect(first == again)
            #expect(other.id != first.id)
            #expect(first.contextID == Self.contextA)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func conversation_ofAnotherContext_isAConflictNotALeak(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            _ = try await store.conversation(in: Self.contextA, platform: "openai", platformID: "shared")
            await #expect(throws: StoreError.self) {
                try await store.conversation(in: Self.contextB, platform: "openai", platformID: "shared")
            }
        }
    }

    /// Samples the race (the callers start together; nothing forces them to interleave), so a
    /// pass is evidence, not proof: the statement itself must be atomic.
    @Test(arguments: StoreBackend.allCases)
    func conversation_concurrentFirstUse_yieldsOneConversation_sampled(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let ids = try await withThrowingTaskGroup(of: ConversationID.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        try await store.conversation(in: Self.contextA, platform: "openai", platformID: "race").id
                    }
                }
                return try await group.reduce(into: Set<ConversationID>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func sessions_currentIsReusedUntilANewOneStarts(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let conversation = try await store.conversation(in: Self.contextA, platform: "cli", platformID: "s")
            let first = try await store.currentSession(of: conversation.id, in: Self.contextA)
            #expect(try await store.currentSession(of: conversation.id, in: Self.contextA) == first)
            let second = try await store.startSession(of: conversation.id, in: Self.contextA)
            #expect(second.id != first.id)
            #expect(try await store.currentSession(of: conversation.id, in: Self.contextA) == second)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func sessions_ofAnotherContextsConversation_areNotFound(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let conversation = try await store.conversation(in: Self.contextA, platform: "cli", platformID: "x")
            await #expect(throws: StoreError.notFound("conversation \(conversation.id)")) {
                try await store.currentSession(of: conversation.id, in: Self.contextB)
            }
            await #expect(throws: StoreError.notFound("conversation \(conversation.id)")) {
                try await store.startSession(of: conversation.id, in: Self.contextB)
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func history_isOldestFirst_limitedToTheNewest(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let conversation = try await store.conversation(in: Self.contextA, platform: "cli", platformID: "h")
            let session = try await store.currentSession(of: conversation.id, in: Self.contextA)
            for index in 0..<5 {
                _ = try await store.append(
                    NewMessage(sessionID: session.id, role: index.isMultiple(of: 2) ? .user : .assistant, content: "m\(index)"),
                    in: Self.contextA)
            }
            let all = try await store.history(of: session.id, in: Self.contextA, limit: 50)
            #expect(all.map(\.content) == ["m0", "m1", "m2", "m3", "m4"])
            let newest = try await store.history(of: session.id, in: Self.contextA, limit: 2)
            #expect(newest.map(\.content) == ["m3", "m4"])
            #expect(try await store.history(of: session.id, in: Self.contextA, limit: 0).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func append_keepsUsageStatusAndToolData(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let conversation = try await store.conversation(in: Self.contextA, platform: "cli", platformID: "u")
            let session = try await store.currentSession(of: conversation.id, in: Self.contextA)
            let usage = TokenUsage(promptTokens: 12, completionTokens: 3)
            let stored = try await store.append(
                NewMessage(
                    sessionID: session.id, role: .assistant, content: "partial", toolData: #"{"x":1}"#,
                    usage: usage, status: .incomplete),
                in: Self.contextA)
            let loaded = try await store.history(of: session.id, in: Self.contextA, limit: 1)
            #expect(loaded == [stored])
            #expect(loaded.first?.usage == usage)
            #expect(loaded.first?.status == .incomplete)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func otherContext_cannotReadOrWriteASession(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let conversation = try await store.conversation(in: Self.contextA, platform: "cli", platformID: "iso")
            let session = try await store.currentSession(of: conversation.id, in: Self.contextA)
            _ = try await store.append(NewMessage(sessionID: session.id, role: .user, content: "secret"), in: Self.contextA)
            #expect(try await store.history(of: session.id, in: Self.contextB, limit: 10).isEmpty)
            await #expect(throws: StoreError.notFound("session \(session.id)")) {
                try await store.append(NewMessage(sessionID: session.id, role: .user, content: "intruder"), in: Self.contextB)
            }
            let after = try await store.history(of: session.id, in: Self.contextA, limit: 10)
            #expect(after.map(\.content) == ["secret"])
        }
    }
}
