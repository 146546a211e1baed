import AsyncHTTPClient
import Logging
import TernCore
import TernLLM

extension Dependencies {
    /// The OpenAI-compatible client for the configured model server.
    ///
    /// A refused connection fails fast only if `httpClient` was built with
    /// `retryConnectionEstablishment = false` (see ``OpenAIClientConfiguration/httpClientConfiguration``).
    static func makeOpenAIClient(_ llm: TernConfig.LLM, httpClient: HTTPClient, logger: Logger)
        -> any ModelProvider
    {
        OpenAIClient(
            configuration: openAIClientConfiguration(llm), httpClient: httpClient, logger: logger)
    }

    /// The client settings for `llm`: `TERN_LLM_TIMEOUT_SECONDS` is the read timeout (time to
    /// the first byte, connecting included, and the longest silence); `auto` leaves the profile
    /// to detection.
    static func openAIClientConfiguration(_ llm: TernConfig.LLM) -> OpenAIClientConfiguration {
        OpenAIClientConfiguration(
            baseURL: llm.baseURL, apiKey: llm.apiKey,
            readTimeout: .milliseconds(Int64(llm.timeoutSeconds * 1000)),
            maxRetries: llm.maxRetries, profile: ModelServerProfile(rawValue: llm.profile),
            maxConnections: llm.maxConnections)
    }
}

extension TernConfig {
    /// The values `TERN_LLM_PROFILE` accepts.
    static let llmProfiles = ["auto"] + ModelServerProfile.allCases.map(\.rawValue)
}
