/// Every configuration key Tern reads. The environment name is the raw value; in `tern.yaml`
/// the same key is written in lower case without the `TERN_` prefix (`TERN_LLM_MODEL` →
/// `llm_model`). `.env.template` documents each one; a test keeps the two in sync.
package enum ConfigKey: String, CaseIterable, Sendable {
    case configFile = "TERN_CONFIG_FILE"
    case host = "TERN_HOST"
    case port = "TERN_PORT"
    case dataDir = "TERN_DATA_DIR"
    case databaseURL = "TERN_DATABASE_URL"
    case llmBaseURL = "TERN_LLM_BASE_URL"
    case llmAPIKey = "TERN_LLM_API_KEY"
    case llmModel = "TERN_LLM_MODEL"
    case llmTimeoutSeconds = "TERN_LLM_TIMEOUT_SECONDS"
    case llmMaxRetries = "TERN_LLM_MAX_RETRIES"
    case apiKeys = "TERN_API_KEYS"
    case trustedProxyKeys = "TERN_TRUSTED_PROXY_KEYS"
    case secretKey = "TERN_SECRET_KEY"
    case logLevel = "TERN_LOG_LEVEL"
    case systemPrompt = "TERN_SYSTEM_PROMPT"
    case historyLimit = "TERN_HISTORY_LIMIT"
    case retentionDays = "TERN_RETENTION_DAYS"

    /// The key's name in `tern.yaml`.
    package var yamlName: String {
        String(rawValue.dropFirst("TERN_".count)).lowercased()
    }

    /// The value used when neither the environment nor the file sets the key.
    package var defaultValue: String {
        switch self {
        case .configFile: "tern.yaml"
        case .host: "127.0.0.1"
        case .port: "8080"
        case .dataDir: "./data"
        case .databaseURL, .llmBaseURL, .llmAPIKey, .llmModel, .apiKeys, .trustedProxyKeys, .secretKey, .systemPrompt: ""
        case .llmTimeoutSeconds: "120"
        case .llmMaxRetries: "2"
        case .logLevel: "info"
        case .historyLimit: "50"
        case .retentionDays: "0"
        }
    }

    /// Whether the value must never be printed.
    package var isSecret: Bool {
        self == .llmAPIKey || self == .apiKeys || self == .trustedProxyKeys || self == .secretKey
    }
}
