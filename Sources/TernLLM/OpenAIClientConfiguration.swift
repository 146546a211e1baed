import Foundation

/// How ``OpenAIClient`` reaches an OpenAI-compatible server.
package struct OpenAIClientConfiguration: Sendable {
    /// The default of ``maxConnections``: far above AsyncHTTPClient's 8, which made the ninth
    /// concurrent turn wait for a free connection and fail after the connect timeout.
    package static let defaultMaxConnections = 256

    /// How embeddings are requested on the wire.
    package enum EmbeddingEncoding: String, Sendable {
        /// A JSON array of numbers per input.
        case float
        /// A base64 string of little-endian float32 values per input (smaller on the wire).
        case base64
    }

    /// The API root including its version path, e.g. `http://127.0.0.1:1234/v1`.
    package var baseURL: String
    /// Sent as `Authorization: Bearer …` when set; never logged or put into errors.
    package var apiKey: String?
    /// Time allowed to open the connection (applied by an `HTTPClient` built from
    /// ``httpClientConfiguration``). The time to the response head, connecting included, is
    /// limited by `readTimeout`.
    package var connectTimeout: Duration
    /// Longest silence allowed between received bytes (and before the first byte once connected).
    package var readTimeout: Duration
    /// Longest a whole non-streamed request (including its body) may take. Streams have no total
    /// limit; only `readTimeout` applies between their bytes.
    package var requestTimeout: Duration
    /// Retries after the first attempt for 408, 409, 429, 5xx and broken connections; a refused
    /// connection is retried at most twice, briefly.
    package var maxRetries: Int
    /// The first backoff delay; it doubles per retry and is jittered.
    package var retryBaseDelay: Duration
    /// The cap on any single backoff delay, including a server's `Retry-After`.
    package var maxRetryDelay: Duration
    /// The model for ``OpenAIClient/embed(_:model:)`` when the caller names none; omitted if `nil`.
    package var embeddingModel: String?
    /// The `encoding_format` requested for embeddings.
    package var embeddingEncoding: EmbeddingEncoding
    /// The largest response body accepted for non-streamed calls.
    package var maxResponseBytes: Int
    /// The kind of server, which shapes requests; `nil` (`TERN_LLM_PROFILE=auto`) detects it from
    /// the first `GET /models`. Defaults to ``ModelServerProfile/openai``.
    package var profile: ModelServerProfile?
    /// Connections to the model server at once (`TERN_LLM_MAX_CONNECTIONS`). Each running model
    /// call holds one for its whole answer, so this bounds the turns that can talk to the model
    /// at the same time across all users; a call over the bound waits for a free connection.
    package var maxConnections: Int

    /// Creates a configuration; only `baseURL` is required.
    package init(
        baseURL: String,
        apiKey: String? = nil,
        connectTimeout: Duration = .seconds(5),
        readTimeout: Duration = .seconds(120),
        requestTimeout: Duration = .seconds(600),
        maxRetries: Int = 2,
        retryBaseDelay: Duration = .milliseconds(250),
        maxRetryDelay: Duration = .seconds(30),
        embeddingModel: String? = nil,
        embeddingEncoding: EmbeddingEncoding = .float,
        maxResponseBytes: Int = 32 * 1024 * 1024,
        profile: ModelServerProfile? = .openai,
        maxConnections: Int = OpenAIClientConfiguration.defaultMaxConnections
    ) {
        self.maxConnections = maxConnections
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.requestTimeout = requestTimeout
        self.maxRetries = maxRetries
        self.retryBaseDelay = retryBaseDelay
        self.maxRetryDelay = maxRetryDelay
        self.embeddingModel = embeddingModel
        self.embeddingEncoding = embeddingEncoding
        self.maxResponseBytes = maxResponseBytes
        self.profile = profile
    }
}
