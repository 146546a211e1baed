import Foundation
import Testing
import TernAgent
import TernCore
import TernTesting

@Suite(.timeLimit(.minutes(1))) struct AgentServiceTests {
    let store = RecordingConversationStore(MemoryConversationStore())

    func newTurn(_ input: String, prior: [ChatMessage]? = nil) async throws -> AgentTurn {
        let conversation = try await store.conversation(in: .defaultContext, platform: "test", platformID: UUID().uuidString)
        let session = try await store.currentSession(of: conversation.id, in: .defaultContext)
        return AgentTurn(
            context: .defaultContext, user: .localUser, conversation: conversation.id, session: session.id,
            input: input, priorMessages: prior)
    }

    func collect(_ events: AsyncThrowingStream<AgentEvent, any Error>) async throws -> [AgentEvent] {
        var all: [AgentEvent] = []
        for try await event in events { all.append(event) }
        return all
    }

    @Test func directAnswer_streamsContentThenStoresItWithUsage() async throws {
        let usage = TokenUsage(promptTokens: 5, completionTokens: 2)
        let model = ScriptedModelProvider(.init(pieces: ["Hel", "lo"], usage: usage))
        let agent = AgentService(store: store, model: model, settings: .init(model: "m"))
        let turn = try await newTurn("hi")
        let events = try await collect(agent.run(turn))
        #expect(events.prefix(3) == [.content("Hel"), .content("lo"), .usage(usage)])
        guard case .finished(let id, "stop") = events.last else {
            Issue.record("no finished event: \(events)")
            return
        }
        let history = try await store.history(of: turn.session, in: .defaultContext, limit: 10)
        #expect(history.map(\.role) == [.user, .assistant])
        #expect(history.last?.id == id)
        #expect(history.last?.content == "Hello")
        #expect(history.last?.usage == usage)
        #expect(history.last?.status == .complete)
    }

    @Test func storedHistory_isSentWhenTheChannelSendsNone_andTheSystemPromptLeads() async throws {
        let model = ScriptedModelProvider(.init(pieces: ["one"]), .init(pieces: ["two"]))
        let agent = AgentService(store: store, model: model, settings: .init(model: "m", systemPrompt: "Be brief."))
        let first = try await newTurn("first question")
        _ = try await collect(agent.run(first))
        _ = try await collect(agent.run(first))  // same session, second turn
        let sent = try #require(model.requests.last).messages
        #expect(sent.map(\.role) == [.system, .user, .assistant, .user])
        #expect(sent.map(\.content) == ["Be brief.", "first question", "one", "first question"])
        #expect(model.requests.allSatisfy { $0.model == "m" })
    }

    @Test func clientHistory_isUsedAsGiven() async throws {
        let model = ScriptedModelProvider(.init(pieces: ["ok"]))
        let agent = AgentService(store: store, model: model, settings: .init(model: "m", systemPrompt: "ignored"))
        let prior = [ChatMessage(role: .system, content: "client system"), ChatMessage(role: .user, content: "earlier")]
        _ = try await collect(agent.run(try await newTurn("now", prior: prior)))
        #expect(model.requests.first?.messages.map(\.content) == ["client system", "earlier", "now"])
    }

    @Test func failureBeforeAnyContent_storesOnlyTheUserMessage() async throws {
        let failure = ModelError.upstream(endpoint: "POST /v1/chat/completions", status: 500, message: "boom")
        let agent = AgentService(
            store: store, model: ScriptedModelProvider(.init(pieces: [], failure: failure)), settings: .init(model: "m"))
        let turn = try await newTurn("hi")
        await #expect(throws: failure) { try await collect(agent.run(turn)) }
        let history = try await store.history(of: turn.session, in: .defaultContext, limit: 10)
        #expect(history.map(\.role) == [.user])
    }

    @Test func failureMidAnswer_keepsThePartialAnswerMarkedIncomplete() async throws {
        let failure = ModelError.connection(endpoint: "POST /v1/chat/completions", reason: "reset")
        let agent = AgentService(
            store: store, model: ScriptedModelProvider(.init(pieces: ["par", "tial"], failure: failure)),
            settings: .init(model: "m"))
        let turn = try await newTurn("hi")
        await #expect(throws: failure) { try await collect(agent.run(turn)) }
        let history = try await store.history(of: turn.session, in: .defaultContext, limit: 10)
        #expect(history.last?.content == "partial")
        #expect(history.last?.status == .incomplete)
    }

    @Test func consumerCancelling_stopsTheModel_andKeepsWhatWasSaid() async throws {
        let gate = FakeLLMGate()
        let agent = AgentService(
            store: store, model: ScriptedModelProvider(.init(pieces: ["seen", " unseen"], pauseAfterFirstPiece: gate)),
            settings: .init(model: "m"))
        let turn = try await newTurn("hi")
        let consumer = Task {
            for try await event in agent.run(turn) {
                if event == .content("seen") { return }  // walks away mid-answer
            }
        }
        try await consumer.value
        let stored = await store.next { $0.role == .assistant }
        #expect(stored?.content == "seen")
        #expect(stored?.status == .incomplete)
        gate.open()
    }
}
