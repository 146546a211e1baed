import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TernApp
import TernCore

/// Tern as `tern serve` builds it — `TernConfig.load` from an environment, `Dependencies.live`,
/// the instance announced, `buildApplication` with its services — on a temporary data directory
/// and a free port on 127.0.0.1. Every HTTP suite runs through here, so no test can pass against
/// wiring that production does not use; tests change only configuration and the few parts
/// ``DependencyOverrides`` names.
enum LiveTern {
    /// What every test server gets unless the test says otherwise: rate limits off (suites about
    /// them set their own), one model retry (tests count the model's requests), and long
    /// request-head and idle deadlines: HummingbirdTesting's client connects when the test starts,
    /// and on a loaded machine a test's own setup can take longer than the 10 s a real client gets
    /// to send its first request head (the suites about those deadlines set their own).
    static let baseEnvironment = [
        "TERN_HOST": "127.0.0.1", "TERN_PORT": "0", "TERN_RATE_LIMIT_PER_MINUTE": "0", "TERN_MAX_CONCURRENT_TURNS": "0",
        "TERN_LLM_MODEL": "fake-model", "TERN_LLM_MAX_RETRIES": "1", "TERN_HEADER_TIMEOUT_SECONDS": "600",
        "TERN_IDLE_TIMEOUT_SECONDS": "600",
    ]

    /// Runs `body` against the server; `environment` adds to (and wins over) ``baseEnvironment``;
    /// `configure` changes the loaded configuration (values no environment variable reaches,
    /// such as sub-second limits).
    static func run<Value: Sendable>(
        environment: [String: String] = [:], configure: (inout TernConfig) -> Void = { _ in },
        overrides: DependencyOverrides = .init(),
        _ body: @Sendable (Dependencies, any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
        var config = try TernConfig.load(
            environment: baseEnvironment.merging(["TERN_DATA_DIR": directory.path]) { $1 }.merging(environment) { $1 },
            workingDirectory: directory.path)
        configure(&config)
        var logger = Logger(label: "tern.test")
        logger.logLevel = .critical
        let dependencies = try await Dependencies.live(config: config, logger: logger, overrides: overrides)
        let result: Value
        do {
            try await dependencies.announceInstance()
            let app = buildApplication(config: config, dependencies: dependencies, logger: logger)
            result = try await app.test(.live) { client in try await body(dependencies, client) }
        } catch {
            try await dependencies.shutdown()
            throw error
        }
        try await dependencies.shutdown()
        return result
    }
}
