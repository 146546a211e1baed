import Foundation
import Logging
import TernConfigFiles
import Yams
import TernCore
import TernHTTP
import TernMCP
import TernNetwork
import TernStore
import TernTools

extension TernConfig {
    /// Loads the configuration.
    ///
    /// - Parameters:
    ///   - environment: the process environment (only `TERN_*` keys are read).
    ///   - overrides: values from command-line flags; they win over everything.
    ///   - workingDirectory: where a relative `tern.yaml` path is looked up.
    package static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [ConfigKey: String] = [:],
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ConfigError) -> TernConfig {
        var problems: [String] = []
        let explicitFile = overrides[.configFile] ?? environment[ConfigKey.configFile.rawValue]
        let filePath = resolve(explicitFile ?? ConfigKey.configFile.defaultValue, in: workingDirectory)
        var file = ConfigFileValues()
        var usedFile: String?
        if FileManager.default.fileExists(atPath: filePath) {
            file = ConfigFileValues.read(at: filePath)
            usedFile = filePath
            problems += file.problems
        } else if explicitFile != nil {
            let source: ConfigSource = overrides[.configFile] != nil ? .flag : .environment
            problems.append("\(source.subject(.configFile)): no file at \(filePath)")
        }

        func lookup(_ key: ConfigKey) -> (value: String, source: ConfigSource) {
            if let flag = overrides[key] { return (flag, .flag) }
            if let env = environment[key.rawValue] { return (env, .environment) }
            if let value = file.values[key.yamlName] {
                return (value, .file(path: filePath, line: file.lines[key.yamlName]))
            }
            return (key.defaultValue, .defaultValue)
        }
        var reader = ValueReader(lookup: lookup)

        let host = reader.host()
        let port = reader.integer(.port, in: 0...65535)
        let dataDir = resolve(reader.string(.dataDir), in: workingDirectory)
        let database = reader.database(dataDir: dataDir, workingDirectory: workingDirectory)
        let llm = reader.llm()
        let embedding = reader.embedding(llm: llm)
        let apiKeys = reader.keys(.apiKeys)
        let trustedProxyKeys = reader.keys(.trustedProxyKeys)
        let openLoopback = reader.bool(.openLoopback)
        let openWebUIJWTSecret = reader.openWebUIJWTSecret()
        let secretKey = reader.secretKey()
        let secretKeyPrevious = reader.secretKeyPrevious()
        let logLevel = reader.logLevel()
        let systemPrompt = reader.string(.systemPrompt)
        let historyLimit = reader.integer(.historyLimit, in: 1...10_000)
        let retentionDays = reader.integer(.retentionDays, in: 0...36_500)
        let agent = reader.agent(dataDir: dataDir, workingDirectory: workingDirectory)
        let tools = reader.tools()
        let telegram = reader.telegram()
        let mcp = reader.mcp(environment: environment, workingDirectory: workingDirectory)
        let server = reader.server()
        let clients = reader.clients()
        let portal = reader.portal()
        problems += reader.problems
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        var config = TernConfig(
            host: host, port: port, dataDir: dataDir, database: database, llm: llm, embedding: embedding, apiKeys: apiKeys,
            trustedProxyKeys: trustedProxyKeys, openWebUIJWTSecret: openWebUIJWTSecret, secretKey: secretKey,
            secretKeyPrevious: secretKeyPrevious, logLevel: logLevel,
            systemPrompt: systemPrompt.isEmpty ? nil : systemPrompt,
            historyLimit: historyLimit, retentionDays: retentionDays, agent: agent, tools: tools,
            telegram: telegram, mcp: mcp, configFile: usedFile, server: server, openLoopback: openLoopback, clients: clients,
            portal: portal, warnings: ConfigKey.unknownEnvironmentWarnings(environment))
        config.settings = settingRows(lookup)
        return config
    }

    static func resolve(_ path: String, in directory: String) -> String {
        if path.hasPrefix("/") { return path }
        let relative = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }
}

/// Reads and validates one key at a time, collecting problems instead of stopping at the first.
///
/// A problem names the key as it was set (``subject(_:)``): `--port`, `environment TERN_PORT`,
/// `tern.yaml:12: port`.
struct ValueReader {
    let lookup: (ConfigKey) -> (value: String, source: ConfigSource)
    var problems: [String] = []

    func string(_ key: ConfigKey) -> String {
        lookup(key).value.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Where `key`'s value came from.
    func source(_ key: ConfigKey) -> ConfigSource { lookup(key).source }

    /// `key` as a problem names it: `--port`, `environment TERN_PORT`, `tern.yaml:12: port`, `TERN_PORT`.
    func subject(_ key: ConfigKey) -> String { source(key).subject(key) }

    /// The address to listen on; an IPv6 literal may be written in brackets (`[::1]`), as in URLs.
    mutating func host() -> String {
        var host = string(.host)
        if host.hasPrefix("["), host.hasSuffix("]"), host.count > 2 { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { problems.append("\(subject(.host)) must not be empty") }
        return host
    }

    mutating func integer(_ key: ConfigKey, in range: ClosedRange<Int>) -> Int {
        let raw = string(key)
        guard let number = Int(raw), range.contains(number) else {
            problems.append(
                "\(subject(key)) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(raw)'")
            return Int(key.defaultValue) ?? range.lowerBound
        }
        return number
    }

    mutating func bool(_ key: ConfigKey) -> Bool {
        switch string(key).lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        case let raw:
            problems.append("\(subject(key)) must be true or false, got '\(raw)'")
            return key.defaultValue == "true"
        }
    }

    mutating func agent(dataDir: String, workingDirectory: String) -> TernConfig.Agent {
        let toolsFileValue = string(.toolsFile)
        let toolsPath = TernConfig.resolve(toolsFileValue, in: workingDirectory)
        var tools = ToolsFile()
        var toolsFilePath: String?
        if FileManager.default.fileExists(atPath: toolsPath) {
            do {
                tools = try ToolsFile.load(path: toolsPath)
                toolsFilePath = toolsPath
            } catch {
                problems.append(error.description)
            }
        } else if toolsFileValue != ConfigKey.toolsFile.defaultValue {
            problems.append("\(subject(.toolsFile)): no file at \(toolsPath)")
        }
        let contextSkills = string(.contextSkillsDir)
        return TernConfig.Agent(
            router: bool(.agentRouter), maxToolTurns: integer(.agentMaxToolTurns, in: 1...100),
            maxParallelSteps: integer(.agentMaxParallelSteps, in: 1...64),
            maxReplans: integer(.agentMaxReplans, in: 0...10),
            toolOutputBudget: integer(.toolOutputBudget, in: 256...1_000_000),
            toolTimeoutSeconds: seconds(.toolTimeoutSeconds), approvalTimeoutSeconds: seconds(.approvalTimeoutSeconds),
            tools: tools, toolsFilePath: toolsFilePath,
            skillsDir: TernConfig.resolve(string(.skillsDir), in: workingDirectory),
            contextSkillsDir: contextSkills.isEmpty
                ? TernConfig.resolve("context-skills", in: dataDir) : TernConfig.resolve(contextSkills, in: workingDirectory))
    }

    /// `mcp.yaml` (missing: no global servers, unless `TERN_MCP_FILE` names it explicitly) and
    /// the connection settings. `${NAME}` in the file is expanded from `environment`.
    mutating func mcp(environment: [String: String], workingDirectory: String) -> TernConfig.MCP {
        let fileValue = string(.mcpFile)
        let path = TernConfig.resolve(fileValue, in: workingDirectory)
        var servers: [MCPServerDefinition] = []
        var filePath: String?
        if FileManager.default.fileExists(atPath: path) {
            do {
                servers = try MCPConfigFile.load(path: path, environment: environment)
                filePath = path
            } catch {
                problems.append(error.description)
            }
        } else if fileValue != ConfigKey.mcpFile.defaultValue {
            problems.append("\(subject(.mcpFile)): no file at \(path)")
        }
        return TernConfig.MCP(
            servers: servers, filePath: filePath, connectTimeoutSeconds: seconds(.mcpConnectTimeoutSeconds),
            idleSeconds: seconds(.mcpIdleSeconds))
    }

    mutating func telegram() -> TernConfig.Telegram? {
        let token = string(.telegramToken)
        let apiURL = string(.telegramAPIURL)
        let groups = bool(.telegramGroups)
        let stream = bool(.telegramStream)
        let maxChats = integer(.telegramMaxChats, in: 1...1000)
        var allowed: Set<Int64> = []
        for part in string(.telegramAllowedUsers).split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let id = Int64(text), id > 0 else {
                problems.append("\(subject(.telegramAllowedUsers)) must be Telegram user ids (numbers), comma-separated; got '\(text)'")
                continue
            }
            allowed.insert(id)
        }
        guard !token.isEmpty else { return nil }
        // The token is never repeated in a message.
        if token.contains(where: { $0.isWhitespace || $0 == "/" }) || !token.contains(":") {
            problems.append("\(subject(.telegramToken)) does not look like a bot token (digits:letters, from @BotFather)")
        }
        if URL(string: apiURL)?.scheme.map({ $0 == "http" || $0 == "https" }) != true {
            problems.append("\(subject(.telegramAPIURL)) must be an http(s) URL, got '\(apiURL)'")
        }
        return TernConfig.Telegram(
            token: token, apiURL: apiURL, allowedUsers: allowed, groups: groups, stream: stream, maxChats: maxChats)
    }

    mutating func tools() -> TernConfig.Tools {
        var allow: [NetworkAllowEntry] = []
        do {
            allow = try NetworkAllowEntry.parse(
                string(.networkAllow).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty })
        } catch {
            problems.append("\(subject(.networkAllow)): \(error)")
        }
        var ports: [Int] = []
        for part in string(.networkPorts).split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let port = Int(text), (1...65535).contains(port) else {
                problems.append("\(subject(.networkPorts)) must be ports from 1 to 65535, comma-separated; got '\(text)'")
                continue
            }
            ports.append(port)
        }
        let searxng = string(.searxngURL)
        var searxngURL: String?
        if !searxng.isEmpty {
            if let url = URL(string: searxng), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                let host = url.host, !host.isEmpty
            {
                searxngURL = searxng
                let port = url.port ?? (scheme == "https" ? 443 : 80)
                let entry = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
                do {
                    allow.append(try NetworkAllowEntry(parsing: entry))
                } catch {
                    problems.append("\(subject(.searxngURL)): \(error)")
                }
            } else {
                problems.append("\(subject(.searxngURL)) must be an http(s) URL such as http://searxng:8080, got '\(searxng)'")
            }
        }
        return TernConfig.Tools(
            networkAllow: allow, networkPorts: ports, searxngURL: searxngURL,
            webFetchMaxCharacters: integer(.webFetchMaxCharacters, in: 500...1_000_000),
            webCacheTTLSeconds: integer(.webCacheTTLSeconds, in: 0...604_800),
            webCacheMaxEntries: integer(.webCacheMaxEntries, in: 0...1_000_000),
            webCacheMaxBytes: integer(.webCacheMaxMB, in: 0...100_000) * 1024 * 1024,
            gitTimeoutSeconds: seconds(.gitTimeoutSeconds))
    }

    mutating func server() -> ServerLimits {
        ServerLimits(
            headerTimeout: .seconds(seconds(.headerTimeoutSeconds)), idleTimeout: .seconds(seconds(.idleTimeoutSeconds)),
            maxConnections: integer(.maxConnections, in: 1...1_000_000),
            maxRequestsPerConnection: integer(.maxRequestsPerConnection, in: 1...1_000_000),
            maxChatBodyBytes: integer(.maxBodyMB, in: 1...1024) * 1024 * 1024,
            streamKeepAlive: .seconds(seconds(.streamKeepAliveSeconds)),
            streamStartGrace: .seconds(seconds(.streamGraceSeconds)))
    }

    mutating func seconds(_ key: ConfigKey) -> Double {
        let raw = string(key)
        guard let number = Double(raw), number > 0, number <= 3600 else {
            problems.append("\(subject(key)) must be a number of seconds above 0 and at most 3600, got '\(raw)'")
            return Double(key.defaultValue) ?? 60
        }
        return number
    }

    mutating func database(dataDir: String, workingDirectory: String) -> TernConfig.Database {
        let raw = string(.databaseURL)
        if raw.isEmpty { return .sqlite(path: TernConfig.resolve("tern.sqlite", in: dataDir)) }
        if raw.hasPrefix("sqlite:") {
            var path = String(raw.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            if path.isEmpty {
                problems.append("\(subject(.databaseURL)): 'sqlite:' needs a file path, e.g. sqlite:./data/tern.sqlite")
            }
            return .sqlite(path: TernConfig.resolve(path, in: workingDirectory))
        }
        let lowered = raw.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            do {
                _ = try PostgresURL(parsing: raw)
                return .postgres(url: raw)
            } catch {
                // The error never repeats the password, and neither does this message.
                problems.append("\(subject(.databaseURL)): \(error.description)")
            }
        } else {
            problems.append(
                "\(subject(.databaseURL)) must be empty (SQLite in the data dir), sqlite:PATH or "
                    + "postgres://user:password@host:5432/database, got '\(Self.withoutCredentials(raw))'")
        }
        return .sqlite(path: TernConfig.resolve("tern.sqlite", in: dataDir))
    }

    /// `raw` with anything between `://` and the last `@` hidden: a mistyped URL may still
    /// carry a password.
    static func withoutCredentials(_ raw: String) -> String {
        guard let scheme = raw.range(of: "://"), let at = raw.range(of: "@", options: .backwards),
            scheme.upperBound <= at.lowerBound
        else { return raw }
        return String(raw[..<scheme.upperBound]) + "***" + String(raw[at.lowerBound...])
    }

    mutating func llm() -> TernConfig.LLM? {
        let baseURL = string(.llmBaseURL)
        let timeout = seconds(.llmTimeoutSeconds)
        let retries = integer(.llmMaxRetries, in: 0...10)
        let connections = integer(.llmMaxConnections, in: 1...10_000)
        let profile = string(.llmProfile).lowercased()
        if !TernConfig.llmProfiles.contains(profile) {
            problems.append(
                "\(subject(.llmProfile)) must be one of \(TernConfig.llmProfiles.joined(separator: ", ")); got '\(profile)'")
        }
        guard !baseURL.isEmpty else { return nil }
        if let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host?.isEmpty == false
        {
            // valid
        } else {
            problems.append(
                "\(subject(.llmBaseURL)) must be an http(s) URL such as http://127.0.0.1:8000/v1, got '\(baseURL)'")
        }
        let model = string(.llmModel)
        if model.isEmpty {
            problems.append(
                "\(subject(.llmModel)) is required because \(subject(.llmBaseURL)) sets a model server (give the upstream model name)")
        }
        let apiKey = string(.llmAPIKey)
        var trimmedBase = baseURL
        while trimmedBase.hasSuffix("/") { trimmedBase.removeLast() }
        return TernConfig.LLM(
            baseURL: trimmedBase, apiKey: apiKey.isEmpty ? nil : apiKey, model: model,
            timeoutSeconds: timeout, maxRetries: retries, maxConnections: connections, profile: profile)
    }

    mutating func keys(_ key: ConfigKey) -> [String] {
        let keys = string(key).split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        for (index, value) in keys.enumerated() where value.count < 16 {
            problems.append(
                "\(subject(key)): key #\(index + 1) has \(value.count) characters; use at least 16 (e.g. openssl rand -hex 24)")
        }
        if keys.contains(where: { $0.contains(where: \.isWhitespace) }) {
            problems.append("\(subject(key)): keys must not contain white space")
        }
        return keys
    }

    mutating func openWebUIJWTSecret() -> String? {
        let secret = string(.openWebUIJWTSecret)
        guard !secret.isEmpty else { return nil }
        // HS256 wants a key at least as long as its hash; jwt-kit enforces it (PyJWT warns).
        if secret.utf8.count < 32 {
            problems.append(
                "\(subject(.openWebUIJWTSecret)) has \(secret.utf8.count) bytes; use at least 32 (e.g. openssl rand -hex 32) "
                    + "and the same value as Open WebUI's FORWARD_USER_INFO_HEADER_JWT_SECRET")
        }
        return secret
    }

    mutating func secretKey() -> [UInt8]? {
        let raw = string(.secretKey)
        guard !raw.isEmpty else { return nil }
        guard let bytes = Data(base64Encoded: raw), bytes.count >= 32 else {
            problems.append("\(subject(.secretKey)) must be base64 of at least 32 bytes (e.g. openssl rand -base64 32)")
            return nil
        }
        return Array(bytes)
    }

    /// `TERN_SECRET_KEY_PREVIOUS`: comma-separated keys in the format of `TERN_SECRET_KEY`.
    mutating func secretKeyPrevious() -> [[UInt8]] {
        var keys: [[UInt8]] = []
        for (index, raw) in string(.secretKeyPrevious).split(separator: ",").enumerated() {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            guard let bytes = Data(base64Encoded: trimmed), bytes.count >= 32 else {
                problems.append("\(subject(.secretKeyPrevious)): key \(index + 1) must be base64 of at least 32 bytes")
                continue
            }
            keys.append(Array(bytes))
        }
        return keys
    }

    mutating func logLevel() -> Logger.Level {
        let raw = string(.logLevel).lowercased()
        guard let level = Logger.Level(rawValue: raw) else {
            problems.append(
                "\(subject(.logLevel)) must be one of trace, debug, info, notice, warning, error, critical; got '\(raw)'")
            return .info
        }
        return level
    }
}
