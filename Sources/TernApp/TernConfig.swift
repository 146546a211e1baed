import Foundation
package import Logging
package import TernCore
package import TernHTTP
import TernLLM
package import TernNetwork
import TernStore
package import TernTools

/// Tern's whole configuration: one typed value, loaded once at start.
///
/// Precedence: command-line flags over `TERN_*` environment variables over `tern.yaml` over
/// defaults. Every invalid value is reported at once, with its key.
package struct TernConfig: Sendable, Equatable {
    /// Where the data lives.
    package enum Database: Sendable, Equatable, CustomStringConvertible {
        /// An SQLite file.
        case sqlite(path: String)
        /// A PostgreSQL server: a `postgres://` or `postgresql://` URL, validated at load time.
        /// It may hold a password: show it only through ``description``.
        case postgres(url: String)

        /// The file path, or the PostgreSQL URL with its password replaced by `***`: safe to
        /// print and log.
        package var description: String {
            switch self {
            case .sqlite(let path):
                return path
            case .postgres(let url):
                guard let parsed = try? PostgresURL(parsing: url) else {
                    // Only validated URLs get here; should one not parse, show none of it.
                    return "postgres://(invalid URL)"
                }
                return parsed.description
            }
        }
    }

    /// The OpenAI-compatible model server the agent uses.
    package struct LLM: Sendable, Equatable {
        package var baseURL: String
        package var apiKey: String?
        package var model: String
        package var timeoutSeconds: Double
        package var maxRetries: Int
        /// `TERN_LLM_MAX_CONNECTIONS`: connections to the model server at once (1–10000).
        package var maxConnections: Int = OpenAIClientConfiguration.defaultMaxConnections
        /// `TERN_LLM_PROFILE`: `auto` (detected from `GET /models`) or a fixed server kind
        /// (`openai`, `llama-cpp`, `llama-server`, `vllm`, `ollama`).
        package var profile: String = "auto"
    }

    /// How the agent works: routing, tools, skills, approvals.
    package struct Agent: Sendable, Equatable {
        package var router: Bool
        package var maxToolTurns: Int
        package var maxParallelSteps: Int
        package var maxReplans: Int
        package var toolOutputBudget: Int
        package var toolTimeoutSeconds: Double
        package var approvalTimeoutSeconds: Double
        /// The parsed `tools.yaml` (defaults when there is none).
        package var tools: ToolsFile
        /// The `tools.yaml` that was read, if any.
        package var toolsFilePath: String?
        /// Global skills: `<dir>/<name>/SKILL.md` or `<dir>/<name>.md`.
        package var skillsDir: String
        /// Per-context skills: `<dir>/<context name>/<skill>/SKILL.md` (default `<data dir>/context-skills`).
        package var contextSkillsDir: String
    }

    /// How tools reach the network and the disk.
    package struct Tools: Sendable, Equatable {
        /// `host` or `host:port` entries that skip the address rules (internal services).
        package var networkAllow: [NetworkAllowEntry]
        package var networkPorts: [Int]
        /// SearXNG base URL for web_search; its host and port join the allow-list.
        package var searxngURL: String?
        package var webFetchMaxCharacters: Int
        package var webCacheTTLSeconds: Int
        package var webCacheMaxEntries: Int
        package var webCacheMaxBytes: Int
        package var gitTimeoutSeconds: Double
    }

    /// MCP servers: the global ones from `mcp.yaml` and how connections are kept.
    package struct MCP: Sendable, Equatable {
        /// Every context gets these (each with its own connection).
        package var servers: [MCPServerDefinition]
        /// The `mcp.yaml` that was read, if any.
        package var filePath: String?
        /// Spawning or reaching a server plus its `initialize` handshake.
        package var connectTimeoutSeconds: Double
        /// A connection unused this long is closed (a stdio server's process ends).
        package var idleSeconds: Double
    }

    /// The Telegram bot; `nil` when `TERN_TELEGRAM_TOKEN` is empty.
    package struct Telegram: Sendable, Equatable {
        package var token: String
        package var apiURL: String
        package var allowedUsers: Set<Int64>
        package var groups: Bool
        package var stream: Bool
        package var maxChats: Int
    }

    package var host: String
    package var port: Int
    package var dataDir: String
    package var database: Database
    /// `nil` when `TERN_LLM_BASE_URL` is empty: Tern starts, and chat answers 503.
    package var llm: LLM?
    /// Where memory's embeddings come from; `nil` (no `TERN_EMBEDDING_MODEL`): keyword recall only.
    package var embedding: Embedding? = nil
    package var apiKeys: [String]
    /// Keys of authenticating proxies (Open WebUI) whose forwarded user headers are trusted.
    package var trustedProxyKeys: [String]
    /// Open WebUI's `FORWARD_USER_INFO_HEADER_JWT_SECRET`; when set, proxy requests must carry a
    /// valid signed `X-OpenWebUI-User-Jwt` and plain forwarded headers are ignored.
    package var openWebUIJWTSecret: String?
    /// The server's secret (API key hashes, later secrets at rest); `nil` = kept in the data dir.
    package var secretKey: [UInt8]?
    /// Earlier server secrets (`TERN_SECRET_KEY_PREVIOUS`) that still open values sealed under
    /// them, until `tern secrets rotate` re-seals those under ``secretKey``.
    package var secretKeyPrevious: [[UInt8]] = []
    package var logLevel: Logger.Level
    package var systemPrompt: String?
    package var historyLimit: Int
    /// Conversation history older than this many days is deleted; 0 keeps everything.
    package var retentionDays: Int
    package var agent: Agent
    package var tools: Tools
    package var telegram: Telegram?
    package var mcp: MCP
    /// The `tern.yaml` that was read, if any.
    package var configFile: String?
    /// Connection deadlines and limits, body cap, stream keep-alives (`TERN_HEADER_TIMEOUT_SECONDS`…).
    package var server: ServerLimits = .init()
    /// `TERN_OPEN_LOOPBACK`: without configured keys, keyless callers stay the local admin even
    /// after stored API keys or users exist (otherwise they then need a key).
    package var openLoopback: Bool = false
    /// Trusted proxies and rate limits (`TERN_TRUSTED_PROXIES`, `TERN_RATE_LIMIT_*`, `TERN_MAX_CONCURRENT_TURNS`).
    package var clients: Clients = .init()
    /// The admin portal's sign-in (`TERN_PUBLIC_URL`, `TERN_ADMIN_SESSION_*`, `TERN_OIDC_*`).
    package var portal: Portal = .init()
    /// What was odd but not wrong (a `TERN_*` variable that is no setting, …): log at start.
    package var warnings: [String] = []
    /// Every key's effective value and where it came from, secrets masked, as the portal's
    /// Settings page shows them (``settingRows(_:)``).
    package var settings: [PortalSettingRow] = []

    /// Whether `host` only accepts connections from this machine: `localhost`, `127.0.0.0/8`,
    /// `::1` (also written `[::1]` or in full) or `::ffff:127.x.x.x`.
    package var bindsLoopbackOnly: Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" { return true }
        guard let address = IPAddress(parsing: lowered) else { return false }
        let bytes = address.bytes
        if !address.isIPv6 { return bytes[0] == 127 }
        if bytes == Array(repeating: 0, count: 15) + [1] { return true }
        return bytes.prefix(10).allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127
    }

    /// `host` as written in a URL: IPv6 literals in brackets. A wildcard address (`0.0.0.0`,
    /// `::`) becomes `127.0.0.1`, since this machine reaches such a server there.
    package var urlHost: String {
        if host == "0.0.0.0" || host == "::" { return "127.0.0.1" }
        return host.contains(":") ? "[\(host)]" : host
    }

    /// Problems that only matter for a server that accepts connections.
    package func checkServable() throws(ConfigError) {
        if apiKeys.isEmpty && trustedProxyKeys.isEmpty && !bindsLoopbackOnly {
            throw ConfigError(problems: [
                "TERN_HOST=\(host) accepts connections from other machines, but TERN_API_KEYS and "
                    + "TERN_TRUSTED_PROXY_KEYS are empty, so anyone who can reach the port could use the agent "
                    + "without a key: set TERN_API_KEYS, or bind to 127.0.0.1"
            ])
        }
    }
}

/// Everything wrong with a configuration, reported together.
package struct ConfigError: Error, Equatable, CustomStringConvertible {
    package var problems: [String]

    package init(problems: [String]) {
        self.problems = problems
    }

    package var description: String {
        "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
