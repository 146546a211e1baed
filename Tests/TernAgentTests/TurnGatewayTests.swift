import Foundation
import TernAgent
import TernCore
import TernStore
import TernTesting
import Testing

/// The one way into a turn keeps the turn's guarantees, whichever channel asks.
@Suite(.timeLimit(.minutes(1))) struct TurnGatewayTests {
    static let local = TurnCaller.claim(.local(contextName: nil))

    @Test func start_storesTheUserMessage_beforeTheModelIsCalled() async throws {
        let model = StoreReadingModel()
        try await TurnGatewayRig.run(model: model) { rig in
            model.watch(rig.store)
            let turn = try await rig.gateway.start(TurnGatewayRig.message("remember this", from: Self.local))
            var answer = ""
            for try await event in turn.events {
                if case .content(let text) = event { answer += text }
            }
            #expect(answer == "ok")
            #expect(model.storedAtCall == ["remember this"])
            #expect(try await rig.stored(turn).map(\.content) == ["remember this", "ok"])
        }
    }

    /// A client that resends its thread has the stored one read with the session, once; a
    /// channel that does not (Telegram, the terminal) has it read not at all.
    @Test func aResentThread_isComparedWithTheOutlineReadWithTheSession() async throws {
        try await TurnGatewayRig.run(model: StoreReadingModel()) { rig in
            func send(_ text: String, thread: [ChatMessage]?) async throws {
                var request = TurnGatewayRig.message(text, from: Self.local)
                request.priorMessages = thread
                request.resendsThread = thread != nil
                for try await _ in try await rig.gateway.start(request).events {}
            }
            try await send("first", thread: [])
            try await send("second", thread: [ChatMessage(role: .user, content: "first"), ChatMessage(role: .assistant, content: "ok")])
            #expect(rig.store.outlineLimits == [200, 200])
            #expect(rig.store.outlineCalls == 0, "the outline came with the session")
            // A regenerate of "second": the stored tail is superseded, from the outline read with the session.
            try await send("second", thread: [ChatMessage(role: .user, content: "first"), ChatMessage(role: .assistant, content: "ok")])
            #expect(rig.store.outlineCalls == 0)
            let turn = try await rig.gateway.start(TurnGatewayRig.message("third", from: Self.local))
            for try await _ in turn.events {}
            #expect(rig.store.outlineLimits == [200, 200, 200, 0])
            #expect(try await rig.stored(turn).map(\.content) == ["first", "ok", "second", "ok", "third", "ok"])
        }
    }

    @Test func cancel_endsTheEvents_afterThePartialAnswerIsStored() async throws {
        try await TurnGatewayRig.run(model: StallingModel()) { rig in
            let turn = try await rig.gateway.start(TurnGatewayRig.message("tell me a long story", from: Self.local))
            var events = turn.events.makeAsyncIterator()
            guard case .content(let first)? = try await events.next() else {
                Issue.record("the model's first words never came")
                return
            }
            #expect(first == "part of the answer")
            turn.cancel()
            await #expect(throws: CancellationError.self) {
                while try await events.next() != nil {}
            }
            // The events ended only after the partial answer was stored: no waiting needed here.
            let stored = try await rig.stored(turn)
            #expect(stored.map(\.content) == ["tell me a long story", "part of the answer"])
            #expect(stored.last?.status == .incomplete)
        }
    }

    @Test func aRefusedCaller_opensNoConversation_andStoresNothing() async throws {
        try await TurnGatewayRig.run(model: StoreReadingModel()) { rig in
            let refused: [TurnCaller] = [
                .claim(.bearer("not-a-key", forwarded: nil, contextName: nil)),
                .claim(.bearer(nil, forwarded: nil, contextName: nil)),
                .claim(.bearer(TurnGatewayRig.proxyKey, forwarded: nil, contextName: nil)),
                .claim(.telegram(user: 12345, chat: 12345)),
                .claim(.local(contextName: "no-such-context")),
            ]
            for caller in refused {
                await #expect(throws: IdentityError.self) {
                    _ = try await rig.gateway.start(TurnGatewayRig.message("hello", from: caller))
                }
            }
            #expect(rig.store.openedCount == 0)
        }
    }

    @Test func everyChannelsCaller_resolvesThroughTheOneResolver() async throws {
        try await TurnGatewayRig.run(model: StoreReadingModel()) { rig in
            // A stored key limited to a shared context.
            let shared = try await rig.tenants.createContext(name: "team", kind: .shared, owner: nil)
            let (member, _) = try await rig.tenants.provisionUser(email: "ann@example.com", displayName: "Ann", role: .user)
            _ = try await rig.tenants.addMember(member.id, to: shared.id, role: .member)
            let (_, secret) = try await rig.keys.createKey(for: member.id, context: shared.id, name: "k")
            // A Telegram user linked to Ann, whose chat chose the shared context.
            let code = try await rig.channels.createLinkCode(for: member.id, expiresAt: Date().addingTimeInterval(600))
            _ = try await rig.channels.redeemLinkCode(code, telegramUserID: 7, at: Date())
            try await rig.channels.setChatContext(shared.id, chat: 70, channel: IdentityResolver.telegramChannel)

            let expected: [(TurnCaller, UserID?, ContextID?)] = [
                (.claim(.bearer(TurnGatewayRig.staticKey, forwarded: nil, contextName: nil)), .localUser, .defaultContext),
                (.claim(.bearer(secret, forwarded: nil, contextName: nil)), member.id, shared.id),
                (.claim(.telegram(user: 7, chat: 70)), member.id, shared.id),
                (.claim(.telegram(user: TurnGatewayRig.allowedTelegramUser, chat: 1)), .localUser, .defaultContext),
                (.claim(.local(contextName: nil)), .localUser, .defaultContext),
                // A forwarded user is provisioned on first sight with a personal context.
                (
                    .claim(
                        .bearer(
                            TurnGatewayRig.proxyKey, forwarded: ForwardedCredentials(user: .success(.init(email: "bo@example.com"))),
                            contextName: nil)), nil, nil
                ),
            ]
            for (index, (caller, user, context)) in expected.enumerated() {
                // One conversation each: some callers resolve to the same user and context.
                let turn = try await rig.gateway.start(TurnGatewayRig.message("hi", from: caller, in: "c\(index)"))
                for try await _ in turn.events {}
                if let user { #expect(turn.identity.user.id == user, "\(caller)") }
                if let context { #expect(turn.identity.context == context, "\(caller)") }
                #expect(try await rig.stored(turn).map(\.content) == ["hi", "ok"], "\(caller)")
            }
            let provisioned = try #require(try await rig.tenants.user(email: "bo@example.com"))
            let personal = try await rig.tenants.memberships(of: provisioned.id)
            #expect(personal.count == 1)
        }
    }

    @Test func startSession_givesTheNextTurnAFreshSession() async throws {
        try await TurnGatewayRig.run(model: StoreReadingModel()) { rig in
            let first = try await rig.gateway.start(TurnGatewayRig.message("one", from: Self.local))
            for try await _ in first.events {}
            let fresh = try await rig.gateway.start(TurnGatewayRig.message("two", from: Self.local))
            for try await _ in fresh.events {}
            #expect(fresh.session == first.session)
            let session = try await rig.gateway.startSession(for: Self.local, in: TurnGatewayRig.address("c"))
            let after = try await rig.gateway.start(TurnGatewayRig.message("three", from: Self.local))
            for try await _ in after.events {}
            #expect(after.session == session.id)
            #expect(after.conversation == first.conversation)
            #expect(try await rig.stored(after).map(\.content) == ["three", "ok"])
        }
    }
}
