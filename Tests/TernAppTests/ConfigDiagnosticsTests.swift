import Foundation
import Testing
@testable import TernApp

/// Configuration problems say where the value came from (flag, environment, `tern.yaml` line),
/// are all reported together, and odd `TERN_*` variables are warned about.
@Suite struct ConfigDiagnosticsTests {
    let workdir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-diag-\(UUID().uuidString)").path

    init() throws {
        try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
    }

    private func load(_ environment: [String: String] = [:], overrides: [ConfigKey: String] = [:]) throws(ConfigError)
        -> TernConfig
    {
        try TernConfig.load(environment: environment, overrides: overrides, workingDirectory: workdir)
    }

    private func problems(_ environment: [String: String] = [:], overrides: [ConfigKey: String] = [:]) -> [String] {
        do {
            _ = try load(environment, overrides: overrides)
            return []
        } catch {
            return error.problems
        }
    }

    private func writeYAML(_ text: String) throws {
        try text.write(toFile: workdir + "/tern.yaml", atomically: true, encoding: .utf8)
    }

    @Test func yamlProblems_nameFileAndLine_andAnUnknownKeyHidesNothing() throws {
        try writeYAML(
            """
            # Tern
            port: 8080
            prot: 9000
            llm_timeout_seconds: abc
            log_level: loud
            history_limit: [1, 2]
            """)
        let file = workdir + "/tern.yaml"
        let found = problems()
        #expect(found.count == 4, "\(found)")
        #expect(
            Set(found) == [
                "\(file):3: unknown key 'prot'; did you mean 'port'?",
                "\(file):6: history_limit must be a single value, got a list",
                "\(file):5: log_level must be one of trace, debug, info, notice, warning, error, critical; got 'loud'",
                "\(file):4: llm_timeout_seconds must be a number of seconds above 0 and at most 3600, got 'abc'",
            ])
    }

    @Test func problems_nameFlagEnvironmentAndFileTogether() throws {
        try writeYAML("max_body_mb: 0\n")
        let found = problems(["TERN_HISTORY_LIMIT": "0"], overrides: [.logLevel: "loud"])
        #expect(found.count == 3, "\(found)")
        #expect(found.contains("--log-level must be one of trace, debug, info, notice, warning, error, critical; got 'loud'"))
        #expect(found.contains("environment TERN_HISTORY_LIMIT must be a whole number from 1 to 10000, got '0'"))
        #expect(found.contains("\(workdir)/tern.yaml:1: max_body_mb must be a whole number from 1 to 1024, got '0'"))
    }

    @Test func yamlUnknownKey_withoutACloseOne_listsTheKnownKeys() throws {
        try writeYAML("favourite_colour: blue\n")
        let found = problems()
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("\(workdir)/tern.yaml:1: unknown key 'favourite_colour'; known keys: ") == true)
        #expect(found.first?.contains("llm_base_url") == true)
    }

    @Test func yamlSyntaxError_namesTheLine() throws {
        try writeYAML("port: 8080\nhost: [unclosed\n")
        let found = problems()
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("\(workdir)/tern.yaml:") == true && found.first?.contains("invalid YAML") == true, "\(found)")
    }

    @Test func unknownEnvironmentVariables_warnWithTheClosestKey_andScriptVariablesAreLeftAlone() throws {
        let config = try load([
            "TERN_LLM_MODLE": "smollm2", "TERN_HOTS": "127.0.0.1", "TERN_ZZZZZZZZZZZZ": "1",
            "TERN_TEST_POSTGRES_URL": "postgres://x", "TERN_BENCH_TIMEOUT": "5", "TERN_BIN_DIR": "/x", "TERN_VENV": ".venv",
            "TERN_OPENWEBUI_BIN": "/x", "OTHER": "1",
        ])
        #expect(
            config.warnings == [
                "environment TERN_HOTS is not a Tern setting and is ignored; did you mean TERN_HOST?",
                "environment TERN_LLM_MODLE is not a Tern setting and is ignored; did you mean TERN_LLM_MODEL?",
                "environment TERN_ZZZZZZZZZZZZ is not a Tern setting and is ignored",
            ])
        #expect(try load(["TERN_PORT": "9000"]).warnings.isEmpty)
    }

    @Test(arguments: [
        ("[::1]", "::1", true), ("::1", "::1", true), ("0:0:0:0:0:0:0:1", "0:0:0:0:0:0:0:1", true),
        ("127.0.0.2", "127.0.0.2", true), ("localhost", "localhost", true), ("::ffff:127.0.0.1", "::ffff:127.0.0.1", true),
        ("::", "::", false), ("[::]", "::", false), ("0.0.0.0", "0.0.0.0", false), ("10.0.0.1", "10.0.0.1", false),
        ("127.example.com", "127.example.com", false),
    ])
    func host_bracketedIPv6IsAccepted_andLoopbackIsRecognised(written: String, host: String, loopback: Bool) throws {
        let config = try load(["TERN_HOST": written])
        #expect(config.host == host)
        #expect(config.bindsLoopbackOnly == loopback)
        if loopback { try config.checkServable() }
        #expect(try load(overrides: [.host: written]).host == host)
    }

    @Test func urlHost_bracketsIPv6_andReachesWildcardsOnLoopback() throws {
        #expect(try load(["TERN_HOST": "[::1]"]).urlHost == "[::1]")
        #expect(try load(["TERN_HOST": "0.0.0.0", "TERN_API_KEYS": "0123456789abcdef0123"]).urlHost == "127.0.0.1")
        #expect(try load().urlHost == "127.0.0.1")
    }

    @Test func editDistance_countsASwapAsOne() {
        #expect(ConfigKey.editDistance(Array("prot"), Array("port")) == 1)
        #expect(ConfigKey.editDistance(Array(""), Array("abc")) == 3)
        #expect(ConfigKey.editDistance(Array("kitten"), Array("sitting")) == 3)
    }
}
