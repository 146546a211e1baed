import AsyncHTTPClient
import Logging
import TernAgent
import TernCore
import TernLLM
import TernMemory
import TernStore

extension Dependencies {
    /// The embedding service of `TERN_EMBEDDING_*`, or `nil` (keyword recall only). Its client
    /// shares `httpClient`; a request has the chat client's timeout and retries.
    static func makeEmbeddings(_ config: TernConfig, httpClient: HTTPClient, logger: Logger) -> EmbeddingService? {
        guard let embedding = config.embedding else { return nil }
        let client = OpenAIClient(
            configuration: OpenAIClientConfiguration(
                baseURL: embedding.baseURL, apiKey: embedding.apiKey,
                readTimeout: .milliseconds(Int64((config.llm?.timeoutSeconds ?? 120) * 1000)),
                maxRetries: config.llm?.maxRetries ?? 2, embeddingModel: embedding.model),
            httpClient: httpClient, logger: logger)
        return EmbeddingService(provider: client, model: embedding.model)
    }

    /// Memory over the database: the store, the embeddings, and the turn's use of them.
    static func makeMemory(
        config: TernConfig, database: any DatabaseHandle, model: any ModelProvider, httpClient: HTTPClient,
        cacheMaxAge: Duration, logger: Logger
    ) -> (service: MemoryService, turn: TurnMemory) {
        let service = MemoryService(
            store: SQLMemoryStore(database: database, cacheMaxAge: cacheMaxAge),
            embeddings: makeEmbeddings(config, httpClient: httpClient, logger: logger.labelled("tern.memory.embeddings")),
            logger: logger.labelled("tern.memory"), preferencesMaxAge: cacheMaxAge)
        let turn = TurnMemory(
            service: service, model: model, summaryModel: config.llm?.model ?? "",
            writer: MemoryWriter(logger: logger.labelled("tern.memory.writes")), logger: logger.labelled("tern.memory.turn"))
        return (service, turn)
    }

    /// The `remember` and `recall` tools over `memory`.
    static func memoryTools(_ memory: MemoryService) throws -> [any Tool] {
        [try RememberTool(memory: memory), try RecallTool(memory: memory)]
    }

    /// The names of ``memoryTools(_:)``, for checks that build no memory (`tern skills check`).
    static let memoryToolNames: Set<String> = [RememberTool.name, RecallTool.name]
}
