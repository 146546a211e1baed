import Foundation
import Testing
import TernCore
import TernStore

/// Opening a turn's conversation and session (``ConversationStore/openSession(in:platform:platformID:)``).
extension ConversationStoreContractTests {
    @Test(arguments: StoreBackend.allCases)
    func openSession_firstTimeMakesBoth_thenFindsTheSame(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let first = try await store.openSession(in: Self.contextA, platform: "openai", platformID: "open")
            #expect(first.isNew)
            #expect(first.conversation.contextID == Self.contextA)
            #expect(first.session.conversationID == first.conversation.id)
            #expect(first.session.contextID == Self.contextA)
            let again = try await store.openSession(in: Self.contextA, platform: "openai", platformID: "open")
            #expect(!again.isNew)
            #expect(again.conversation == first.conversation)
            #expect(again.session == first.session)
            #expect(try await store.conversation(in: Self.contextA, platform: "openai", platformID: "open") == first.conversation)
            #expect(try await store.currentSession(of: first.conversation.id, in: Self.contextA) == first.session)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func openSession_concurrentFirstTurns_yieldOneConversationAndOneSession(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let opened = try await withThrowingTaskGroup(of: OpenedSession.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await store.openSession(in: Self.contextA, platform: "openai", platformID: "race") }
                }
                return try await group.reduce(into: [OpenedSession]()) { $0.append($1) }
            }
            #expect(Set(opened.map(\.conversation.id)).count == 1)
            #expect(Set(opened.map(\.session.id)).count == 1)
            #expect(opened.filter(\.isNew).count == 1, "only the turn that made the session reports it new")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func openSession_ofAnotherContextsConversation_isAConflict_andMakesNoSession(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let owner = try await store.openSession(in: Self.contextA, platform: "openai", platformID: "taken")
            await #expect(throws: StoreError.conflict("conversation id is already used in another context on platform openai")) {
                try await store.openSession(in: Self.contextB, platform: "openai", platformID: "taken")
            }
            let again = try await store.openSession(in: Self.contextA, platform: "openai", platformID: "taken")
            #expect(again.session == owner.session)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func openSession_conversationWithoutASession_getsOne(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let conversation = try await store.conversation(in: Self.contextA, platform: "openai", platformID: "bare")
            let opened = try await store.openSession(in: Self.contextA, platform: "openai", platformID: "bare")
            #expect(opened.conversation == conversation)
            #expect(opened.session.conversationID == conversation.id)
            #expect(try await store.openSession(in: Self.contextA, platform: "openai", platformID: "bare").session == opened.session)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func openSession_afterANewSessionStarted_opensTheNewest(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let first = try await store.openSession(in: Self.contextA, platform: "telegram", platformID: "chat")
            let started = try await store.startSession(of: first.conversation.id, in: Self.contextA)
            let opened = try await store.openSession(in: Self.contextA, platform: "telegram", platformID: "chat")
            #expect(opened.session == started)
            #expect(!opened.isNew)
        }
    }

    /// A new session's first user message is stored with it (one commit); a found session's is
    /// not (the turn appends it). Of 16 concurrent first turns exactly one has its message
    /// stored by the store, the others append theirs: 16 messages, each once.
    @Test(arguments: StoreBackend.allCases)
    func openSession_withAFirstMessage_storesItOnlyWhenItMakesTheSession(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let first = try await store.openSession(
                in: Self.contextA, platform: "openai", platformID: "first", firstMessage: "hello there")
            let stored = try #require(first.firstMessage)
            #expect(first.isNew && stored.role == .user && stored.content == "hello there")
            #expect(stored.sessionID == first.session.id && stored.contextID == Self.contextA)
            #expect(try await store.history(of: first.session.id, in: Self.contextA, limit: 10) == [stored])
            let again = try await store.openSession(
                in: Self.contextA, platform: "openai", platformID: "first", firstMessage: "second turn")
            #expect(again.firstMessage == nil && !again.isNew)
            #expect(try await store.history(of: first.session.id, in: Self.contextA, limit: 10).map(\.content) == ["hello there"])
            await #expect(throws: StoreError.self) {
                try await store.openSession(in: Self.contextB, platform: "openai", platformID: "first", firstMessage: "x")
            }

            let opened = try await withThrowingTaskGroup(of: OpenedSession.self) { group in
                for i in 0..<16 {
                    group.addTask {
                        let opened = try await store.openSession(
                            in: Self.contextA, platform: "openai", platformID: "race-first", firstMessage: "turn \(i)")
                        if opened.firstMessage == nil {
                            _ = try await store.append(
                                NewMessage(sessionID: opened.session.id, role: .user, content: "turn \(i)"), in: Self.contextA)
                        }
                        return opened
                    }
                }
                return try await group.reduce(into: [OpenedSession]()) { $0.append($1) }
            }
            #expect(opened.filter { $0.firstMessage != nil }.count == 1)
            #expect(opened.filter(\.isNew).count == 1)
            let session = try #require(opened.first?.session.id)
            let contents = try await store.history(of: session, in: Self.contextA, limit: 100).map(\.content)
            #expect(contents.sorted() == (0..<16).map { "turn \($0)" }.sorted())
        }
    }
}
