import AsyncHTTPClient
import Logging
import TernCore
import TernLLM

extension Dependencies {
    /// The OpenAI-compatible client for the configured model server.
    static func makeOpenAIClient(_ llm: TernConfig.LLM, httpClient: HTTPClient, logger: Logger)
        -> any ModelProvider
    {
        OpenAIClient(
            configuration: OpenAIClientConfiguration(
                baseURL: llm.baseURL, apiKey: llm.apiKey,
                readTimeout: .milliseconds(Int64(llm.timeoutSeconds * 1000)),
                maxRetries: llm.maxRetries),
            httpClient: httpClient, logger: logger)
    }
}
