import Foundation
import Logging
import Testing
@testable import TernApp

@Suite struct TernConfigTests {
    let workdir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-config-\(UUID().uuidString)").path

    init() throws {
        try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
    }

    private func load(_ environment: [String: String] = [:], overrides: [ConfigKey: String] = [:]) throws(ConfigError)
        -> TernConfig
    {
        try TernConfig.load(environment: environment, overrides: overrides, workingDirectory: workdir)
    }

    @Test func defaults_needNoSetup() throws {
        let config = try load()
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.dataDir == workdir + "/data")
        #expect(config.database == .sqlite(path: workdir + "/data/tern.sqlite"))
        #expect(config.llm == nil)
        #expect(config.apiKeys.isEmpty)
        #expect(config.logLevel == .info)
        #expect(config.configFile == nil)
        try config.checkServable()
    }

    @Test func precedence_flagsOverEnvironmentOverFileOverDefaults() throws {
        try "port: 9001\nhost: 127.0.0.2\nlog_level: debug\n".write(
            toFile: workdir + "/tern.yaml", atomically: true, encoding: .utf8)
        let config = try load(["TERN_PORT": "9002", "TERN_HOST": "127.0.0.3"], overrides: [.port: "9003"])
        #expect(config.port == 9003)
        #expect(config.host == "127.0.0.3")
        #expect(config.logLevel == .debug)
        #expect(config.configFile == workdir + "/tern.yaml")
    }

    @Test func invalidValues_areAllReportedTogetherWithTheirKeys() {
        #expect {
            try load([
                "TERN_PORT": "eighty", "TERN_LOG_LEVEL": "loud", "TERN_LLM_BASE_URL": "ftp://x",
                "TERN_API_KEYS": "short", "TERN_HISTORY_LIMIT": "0", "TERN_LLM_TIMEOUT_SECONDS": "-1",
            ])
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            let text = error.description
            return error.problems.count == 7
                && [
                    "TERN_PORT", "TERN_LOG_LEVEL", "TERN_LLM_BASE_URL", "TERN_LLM_MODEL", "TERN_API_KEYS",
                    "TERN_HISTORY_LIMIT", "TERN_LLM_TIMEOUT_SECONDS",
                ].allSatisfy(text.contains)
        }
    }

    @Test func llmMaxConnections_defaultsTo256_andIsBounded() throws {
        let model = ["TERN_LLM_BASE_URL": "http://127.0.0.1:8000/v1", "TERN_LLM_MODEL": "m"]
        #expect(try load(model).llm?.maxConnections == 256)
        #expect(try load(model.merging(["TERN_LLM_MAX_CONNECTIONS": "32"]) { $1 }).llm?.maxConnections == 32)
        for bad in ["0", "10001", "many"] {
            #expect {
                try load(model.merging(["TERN_LLM_MAX_CONNECTIONS": bad]) { $1 })
            } throws: { error in
                (error as? ConfigError)?.description.contains("TERN_LLM_MAX_CONNECTIONS") == true
            }
        }
    }

    @Test func yaml_unknownKeyAndBadSyntax_nameFileAndLine() throws {
        try "port: 8080\nprot: 9000\n".write(toFile: workdir + "/tern.yaml", atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try load() }
        do {
            _ = try load()
        } catch {
            #expect(error.description.contains("tern.yaml:2: unknown key 'prot'"))
        }
        try "port: [unclosed\n".write(toFile: workdir + "/tern.yaml", atomically: true, encoding: .utf8)
        do {
            _ = try load()
            Issue.record("bad YAML was accepted")
        } catch {
            #expect(error.description.contains("invalid YAML"))
        }
    }

    @Test func explicitConfigFile_mustExist_namingWhereItWasSet() {
        #expect(throws: ConfigError(problems: ["environment TERN_CONFIG_FILE: no file at \(workdir)/missing.yaml"])) {
            try load(["TERN_CONFIG_FILE": "missing.yaml"])
        }
        #expect(throws: ConfigError(problems: ["--config: no file at \(workdir)/other.yaml"])) {
            try load(["TERN_CONFIG_FILE": "missing.yaml"], overrides: [.configFile: "other.yaml"])
        }
    }

    @Test func llm_requiresModelAndTrimsTrailingSlash() throws {
        let config = try load([
            "TERN_LLM_BASE_URL": "http://127.0.0.1:8000/v1/", "TERN_LLM_MODEL": "smollm2", "TERN_LLM_API_KEY": "sk-1",
        ])
        #expect(config.llm?.baseURL == "http://127.0.0.1:8000/v1")
        #expect(config.llm?.model == "smollm2")
        #expect(config.llm?.apiKey == "sk-1")
    }

    @Test func postgresURL_isAccepted_andShownWithoutItsPassword() throws {
        let url = "postgresql://tern:hunter2-secret@db.internal:5433/tern?sslmode=require"
        let config = try load(["TERN_DATABASE_URL": url])
        #expect(config.database == .postgres(url: url))
        #expect(config.database.description == "postgres://tern:***@db.internal:5433/tern?sslmode=require")
        #expect(!"\(config)".contains("hunter2-secret"))
    }

    @Test(arguments: [
        ("postgres://tern:hunter2-secret@/tern", "TERN_DATABASE_URL: the PostgreSQL URL has no host"),
        ("postgres://tern:hunter2-secret@db.internal:5432", "TERN_DATABASE_URL: the PostgreSQL URL needs exactly one database name"),
        ("postgres://tern:hunter2-secret@db.internal/tern?sslmode=maybe", "TERN_DATABASE_URL: the PostgreSQL URL sslmode must be"),
        (
            "mysql://tern:hunter2-secret@db.internal/tern",
            "TERN_DATABASE_URL must be empty (SQLite in the data dir), sqlite:PATH or postgres://"
        ),
    ])
    func postgresURL_invalid_isRefusedNamingTheKeyButNotThePassword(_ url: String, _ message: String) {
        #expect {
            try load(["TERN_DATABASE_URL": url])
        } throws: { error in
            "\(error)".contains(message) && !"\(error)".contains("hunter2-secret")
        }
    }

    @Test func publicBindWithoutKeys_isRefusedWithTheReason() throws {
        let open = try load(["TERN_HOST": "0.0.0.0"])
        #expect {
            try open.checkServable()
        } throws: { error in
            "\(error)".contains("TERN_API_KEYS and TERN_TRUSTED_PROXY_KEYS are empty")
        }
        let keyed = try load(["TERN_HOST": "0.0.0.0", "TERN_API_KEYS": "0123456789abcdef0123"])
        try keyed.checkServable()
        #expect(keyed.apiKeys == ["0123456789abcdef0123"])
    }

    @Test func apiKeys_fromYAMLList() throws {
        try "api_keys:\n  - aaaaaaaaaaaaaaaa1\n  - bbbbbbbbbbbbbbbb2\n".write(
            toFile: workdir + "/tern.yaml", atomically: true, encoding: .utf8)
        #expect(try load().apiKeys == ["aaaaaaaaaaaaaaaa1", "bbbbbbbbbbbbbbbb2"])
    }
}
