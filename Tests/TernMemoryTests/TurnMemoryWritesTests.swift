import Testing
import TernCore
import TernMemory
import TernStore
import TernTesting

/// What a turn writes to memory after it: an explicit "remember that …" only where memory is on.
@Suite(.timeLimit(.minutes(1))) struct TurnMemoryWritesTests {
    @Test(arguments: MemoryBackend.allCases)
    func rememberThat_isStoredOnlyWhereMemoryIsOn(_ backend: MemoryBackend) async throws {
        try await backend.withDatabase { database in
            let service = MemoryService(store: SQLMemoryStore(database: database), embeddings: nil, logger: MemoryBackend.logger)
            let turn = TurnMemory(service: service, model: ScriptedModelProvider(steps: []), summaryModel: "fake")
            func ask(_ text: String, in context: ContextID) async throws -> Int {
                let asked = turn.rememberExplicit(
                    .init(context: context, user: "u1", conversation: nil, input: text, answer: ""))
                #expect(asked)
                await turn.writer.idle()
                return try await service.store.stats(in: context).memories
            }
            _ = try await service.setPreferences(MemoryPreferences(enabled: false), in: .defaultContext)
            #expect(try await ask("Remember that the door code is 4471.", in: .defaultContext) == 0)
            #expect(try await ask("Remember that the door code is 4471.", in: MemoryBackend.contextB) == 1)
            _ = try await service.setPreferences(MemoryPreferences(enabled: true), in: .defaultContext)
            #expect(try await ask("Remember that the door code is 4471.", in: .defaultContext) == 1)
        }
    }
}
