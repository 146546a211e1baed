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
    case llmProfile = "TERN_LLM_PROFILE"
    case apiKeys = "TERN_API_KEYS"
    case trustedProxyKeys = "TERN_TRUSTED_PROXY_KEYS"
    case openWebUIJWTSecret = "TERN_OPENWEBUI_JWT_SECRET"
    case secretKey = "TERN_SECRET_KEY"
    case logLevel = "TERN_LOG_LEVEL"
    case systemPrompt = "TERN_SYSTEM_PROMPT"
    case historyLimit = "TERN_HISTORY_LIMIT"
    case retentionDays = "TERN_RETENTION_DAYS"
    case agentRouter = "TERN_AGENT_ROUTER"
    case agentMaxToolTurns = "TERN_AGENT_MAX_TOOL_TURNS"
    case agentMaxParallelSteps = "TERN_AGENT_MAX_PARALLEL_STEPS"
    case agentMaxReplans = "TERN_AGENT_MAX_REPLANS"
    case toolsFile = "TERN_TOOLS_FILE"
    case toolOutputBudget = "TERN_TOOL_OUTPUT_BUDGET"
    case toolTimeoutSeconds = "TERN_TOOL_TIMEOUT_SECONDS"
    case approvalTimeoutSeconds = "TERN_APPROVAL_TIMEOUT_SECONDS"
    case skillsDir = "TERN_SKILLS_DIR"
    case contextSkillsDir = "TERN_CONTEXT_SKILLS_DIR"
    case networkAllow = "TERN_NETWORK_ALLOW"
    case networkPorts = "TERN_NETWORK_PORTS"
    case searxngURL = "TERN_SEARXNG_URL"
    case webFetchMaxCharacters = "TERN_WEB_FETCH_MAX_CHARACTERS"
    case webCacheTTLSeconds = "TERN_WEB_CACHE_TTL_SECONDS"
    case webCacheMaxEntries = "TERN_WEB_CACHE_MAX_ENTRIES"
    case webCacheMaxMB = "TERN_WEB_CACHE_MAX_MB"
    case gitTimeoutSeconds = "TERN_GIT_TIMEOUT_SECONDS"
    case telegramToken = "TERN_TELEGRAM_TOKEN"
    case telegramAPIURL = "TERN_TELEGRAM_API_URL"
    case telegramAllowedUsers = "TERN_TELEGRAM_ALLOWED_USERS"
    case telegramGroups = "TERN_TELEGRAM_GROUPS"
    case telegramStream = "TERN_TELEGRAM_STREAM"
    case telegramMaxChats = "TERN_TELEGRAM_MAX_CHATS"
    case mcpFile = "TERN_MCP_FILE"
    case mcpConnectTimeoutSeconds = "TERN_MCP_CONNECT_TIMEOUT_SECONDS"
    case mcpIdleSeconds = "TERN_MCP_IDLE_SECONDS"

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
        case .databaseURL, .llmBaseURL, .llmAPIKey, .llmModel, .apiKeys, .trustedProxyKeys, .openWebUIJWTSecret, .secretKey, .systemPrompt: ""
        case .llmTimeoutSeconds: "120"
        case .llmMaxRetries: "2"
        case .llmProfile: "auto"
        case .logLevel: "info"
        case .historyLimit: "50"
        case .retentionDays: "0"
        case .agentRouter: "true"
        case .agentMaxToolTurns: "8"
        case .agentMaxParallelSteps: "4"
        case .agentMaxReplans: "2"
        case .toolsFile: "tools.yaml"
        case .toolOutputBudget: "16000"
        case .toolTimeoutSeconds: "60"
        case .approvalTimeoutSeconds: "300"
        case .skillsDir: "skills"
        case .contextSkillsDir: ""
        case .networkAllow, .searxngURL: ""
        case .networkPorts: "80,443"
        case .webFetchMaxCharacters: "8000"
        case .webCacheTTLSeconds: "3600"
        case .webCacheMaxEntries: "1000"
        case .webCacheMaxMB: "64"
        case .gitTimeoutSeconds: "120"
        case .telegramToken, .telegramAllowedUsers: ""
        case .telegramAPIURL: "https://api.telegram.org"
        case .telegramGroups: "false"
        case .telegramStream: "true"
        case .telegramMaxChats: "16"
        case .mcpFile: "mcp.yaml"
        case .mcpConnectTimeoutSeconds: "30"
        case .mcpIdleSeconds: "600"
        }
    }

    /// Whether the value must never be printed.
    package var isSecret: Bool {
        self == .llmAPIKey || self == .apiKeys || self == .trustedProxyKeys || self == .openWebUIJWTSecret
            || self == .secretKey || self == .telegramToken
    }
}
