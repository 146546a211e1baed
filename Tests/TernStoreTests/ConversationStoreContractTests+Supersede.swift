import Foundation
import SQLKit
import Testing
import TernCore
import TernStore

/// Superseding: a client resent the thread with a message edited or regenerated.
extension ConversationStoreContractTests {
    /// A session of a fresh conversation in context A holding `contents`, one message each.
    func makeSession(
        _ store: any ConversationStore, _ platformID: String, contents: [String], usage: TokenUsage? = nil
    ) async throws -> (Session, [Message]) {
        let conversation = try await store.conversation(in: Self.contextA, platform: "openai", platformID: platformID)
        let session = try await store.currentSession(of: conversation.id, in: Self.contextA)
        var messages: [Message] = []
        for (index, content) in contents.enumerated() {
            let role: Role = index.isMultiple(of: 2) ? .user : .assistant
            messages.append(
                try await store.append(
                    NewMessage(sessionID: session.id, role: role, content: content, usage: usage), in: Self.contextA))
        }
        return (session, messages)
    }

    @Test(arguments: StoreBackend.allCases)
    func supersede_hidesTheMessageAndLaterOnes_keepsEarlierAndOtherSessions(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let (session, messages) = try await makeSession(store, "edit", contents: ["m0", "m1", "m2", "m3"])
            let (other, _) = try await makeSession(store, "other", contents: ["o0", "o1"])
            #expect(try await store.supersede(from: messages[2].id, in: Self.contextA) == 2)
            #expect(try await store.history(of: session.id, in: Self.contextA, limit: 10).map(\.content) == ["m0", "m1"])
            #expect(try await store.history(of: other.id, in: Self.contextA, limit: 10).map(\.content) == ["o0", "o1"])
            _ = try await store.append(NewMessage(sessionID: session.id, role: .user, content: "m2'"), in: Self.contextA)
            let after = try await store.history(of: session.id, in: Self.contextA, limit: 2)
            #expect(after.map(\.content) == ["m1", "m2'"])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func outline_isTheHistoryWithUserContentOnly_inOrder_withoutSupersededOrOtherContexts(
        _ backend: StoreBackend
    ) async throws {
        try await withStore(backend) { store throws in
            let (session, messages) = try await makeSession(store, "outline", contents: ["u0", "a0", "u1", "a1", "u2", "a2"])
            _ = try await makeSession(store, "other", contents: ["o0", "o1"])
            try await store.supersede(from: messages[4].id, in: Self.contextA)
            let outline = try await store.outline(of: session.id, in: Self.contextA, limit: 10)
            #expect(outline.map(\.id) == messages[0..<4].map(\.id))
            #expect(outline.map(\.role) == [.user, .assistant, .user, .assistant])
            #expect(outline.map(\.userContent) == ["u0", nil, "u1", nil])
            #expect(outline == (try await store.history(of: session.id, in: Self.contextA, limit: 10)).map(MessageOutline.init))
            // The newest `limit`, oldest first, as history.
            #expect(try await store.outline(of: session.id, in: Self.contextA, limit: 3).map(\.id) == messages[1..<4].map(\.id))
            #expect(try await store.outline(of: session.id, in: Self.contextA, limit: 0).isEmpty)
            #expect(try await store.outline(of: session.id, in: Self.contextB, limit: 10).isEmpty)
        }
    }

    /// A turn that compares a client's resent thread reads the stored one with its session.
    @Test(arguments: StoreBackend.allCases)
    func openSession_withOutlineLimit_returnsTheFoundSessionsOutline(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let (session, messages) = try await makeSession(store, "opened", contents: ["u0", "a0", "u1", "a1", "u2", "a2"])
            try await store.supersede(from: messages[4].id, in: Self.contextA)
            let opened = try await store.openSession(
                in: Self.contextA, platform: "openai", platformID: "opened", firstMessage: "u2'", outlineLimit: 10)
            #expect(opened.session == session && !opened.isNew && opened.firstMessage == nil)
            #expect(opened.outline == (try await store.outline(of: session.id, in: Self.contextA, limit: 10)))
            #expect(opened.outline?.map(\.userContent) == ["u0", nil, "u1", nil])
            let newest = try await store.openSession(
                in: Self.contextA, platform: "openai", platformID: "opened", firstMessage: nil, outlineLimit: 3)
            #expect(newest.outline?.map(\.id) == messages[1..<4].map(\.id))
            #expect(try await store.openSession(in: Self.contextA, platform: "openai", platformID: "opened").outline == nil)
            // The newest session is the one read, even when it has no message yet.
            let fresh = try await store.startSession(of: opened.conversation.id, in: Self.contextA)
            let reopened = try await store.openSession(
                in: Self.contextA, platform: "openai", platformID: "opened", firstMessage: nil, outlineLimit: 10)
            #expect(reopened.session == fresh && reopened.outline == [])
            // A new conversation: its session is new, with nothing to read.
            let made = try await store.openSession(
                in: Self.contextA, platform: "openai", platformID: "made", firstMessage: "hi", outlineLimit: 10)
            #expect(made.isNew && made.outline == nil && made.firstMessage?.content == "hi")
            // A conversation stored without a session (a task call named it): the session is made, nothing read.
            _ = try await store.conversation(in: Self.contextA, platform: "openai", platformID: "bare")
            let bare = try await store.openSession(
                in: Self.contextA, platform: "openai", platformID: "bare", firstMessage: nil, outlineLimit: 10)
            #expect(bare.outline == nil || bare.outline == [])
            // Another context's conversation is refused, its thread with it.
            await #expect(throws: StoreError.self) {
                try await store.openSession(
                    in: Self.contextB, platform: "openai", platformID: "opened", firstMessage: nil, outlineLimit: 10)
            }
        }
    }

    /// The outline read with the session is only of the caller's context's messages, even if a
    /// row of another context sat in the session (the stores never write one; raw SQL does).
    @Test(arguments: SQLBackend.allCases)
    func openSession_outline_leavesOutAnotherContextsRowInTheSession(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLConversationStore(database: $0) }) { store, database in
            let (session, messages) = try await makeSession(store, "mixed", contents: ["u0", "a0"])
            try await database.write { db in
                try await db.raw(
                    """
                    INSERT INTO messages (id, session_id, context_id, role, content, status, created_at)
                    VALUES ('foreign', \(bind: session.id.rawValue), \(bind: Self.contextB.rawValue), 'user', 'not yours',
                        'complete', 9000000000000000)
                    """
                ).run()
            }
            let opened = try await store.openSession(
                in: Self.contextA, platform: "openai", platformID: "mixed", firstMessage: nil, outlineLimit: 10)
            #expect(opened.outline?.map(\.id) == messages.map(\.id))
            #expect(try await store.outline(of: session.id, in: Self.contextA, limit: 10).map(\.id) == messages.map(\.id))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func supersede_again_marksOnlyWhatIsStillActive(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let (session, messages) = try await makeSession(store, "again", contents: ["m0", "m1", "m2"])
            #expect(try await store.supersede(from: messages[1].id, in: Self.contextA) == 2)
            #expect(try await store.supersede(from: messages[1].id, in: Self.contextA) == 0)
            #expect(try await store.supersede(from: messages[2].id, in: Self.contextA) == 0)
            #expect(try await store.supersede(from: messages[0].id, in: Self.contextA) == 1)
            #expect(try await store.history(of: session.id, in: Self.contextA, limit: 10).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func supersede_messageOfAnotherContextOrUnknown_isNotFound_andChangesNothing(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let (session, messages) = try await makeSession(store, "iso", contents: ["m0", "m1"])
            await #expect(throws: StoreError.notFound("message \(messages[0].id)")) {
                try await store.supersede(from: messages[0].id, in: Self.contextB)
            }
            let unknown = MessageID("00000000-0000-0000-0000-0000000000ff")
            await #expect(throws: StoreError.notFound("message \(unknown)")) {
                try await store.supersede(from: unknown, in: Self.contextA)
            }
            #expect(try await store.history(of: session.id, in: Self.contextA, limit: 10) == messages)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func append_keepsWhetherUsageWasEstimated(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store throws in
            let estimated = TokenUsage(promptTokens: 40, completionTokens: 9, estimated: true)
            let (session, stored) = try await makeSession(store, "estimate", contents: ["q", "a"], usage: estimated)
            _ = try await store.append(NewMessage(sessionID: session.id, role: .user, content: "none"), in: Self.contextA)
            let loaded = try await store.history(of: session.id, in: Self.contextA, limit: 10)
            #expect(Array(loaded.prefix(2)) == stored)
            #expect(loaded.map(\.usage?.estimated) == [true, true, nil])
        }
    }
}
