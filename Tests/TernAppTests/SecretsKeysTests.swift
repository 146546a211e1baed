import Foundation
import Logging
import Testing
import TernCore
import TernStore

@testable import TernApp

/// `TERN_SECRET_KEY_PREVIOUS` and the startup check: a value sealed under a key the server does
/// not have stops `tern serve` with an error naming it, never a half-working server.
@Suite(.timeLimit(.minutes(1))) struct SecretsKeysTests {
    let workdir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-keys-\(UUID().uuidString)").path
    static let keyA = Data(repeating: 0xA1, count: 32).base64EncodedString()
    static let keyB = Data(repeating: 0xB2, count: 32).base64EncodedString()

    func config(_ environment: [String: String]) throws -> TernConfig {
        try TernConfig.load(environment: environment, overrides: [:], workingDirectory: workdir)
    }

    func quiet() -> Logger {
        var logger = Logger(label: "tern.test.keys")
        logger.logLevel = .critical
        return logger
    }

    @Test func previousKeys_areParsed_andABadOneIsNamed() throws {
        let loaded = try config(["TERN_SECRET_KEY_PREVIOUS": "\(Self.keyA), \(Self.keyB)"])
        #expect(loaded.secretKeyPrevious == [Array(repeating: 0xA1, count: 32), Array(repeating: 0xB2, count: 32)])
        #expect(throws: ConfigError(problems: ["environment TERN_SECRET_KEY_PREVIOUS: key 2 must be base64 of at least 32 bytes"])) {
            _ = try config(["TERN_SECRET_KEY_PREVIOUS": "\(Self.keyA),c2hvcnQ="])
        }
        #expect(ConfigKey.secretKeyPrevious.isSecret)
    }

    @Test func serve_refusesValuesSealedUnderAnUnknownKey_andStartsWithItAsPrevious() async throws {
        let underA = try config(["TERN_SECRET_KEY": Self.keyA])
        let first = try await Dependencies.live(config: underA, logger: quiet())
        _ = try await first.credentials.set("v", named: "TOKEN", in: .defaultContext, by: nil)
        try await first.shutdown()

        let underB = try config(["TERN_SECRET_KEY": Self.keyB])
        do {
            let started = try await Dependencies.live(config: underB, logger: quiet())
            try await started.shutdown()
            Issue.record("started with a credential it cannot open")
        } catch let error as ConfigError {
            #expect(
                error.problems.first?.hasPrefix("credential 'TOKEN' of context \(ContextID.defaultContext): secret sealed under key")
                    == true)
            #expect(error.problems.last?.contains("TERN_SECRET_KEY_PREVIOUS") == true)
        }

        let rotated = try config(["TERN_SECRET_KEY": Self.keyB, "TERN_SECRET_KEY_PREVIOUS": Self.keyA])
        let started = try await Dependencies.live(config: rotated, logger: quiet())
        #expect(try await started.credentials.value(named: "TOKEN", in: .defaultContext) == "v")
        try await started.shutdown()
    }
}
