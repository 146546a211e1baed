import Foundation
import TernHTTP
import Testing
@testable import TernApp

/// The connection, body and stream limits load from `TERN_*` keys, with defaults, and bad values
/// are reported by key.
@Suite struct ServerLimitsConfigTests {
    static func load(_ environment: [String: String]) throws(ConfigError) -> TernConfig {
        let workdir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-limits-config-\(UUID().uuidString)").path
        return try TernConfig.load(environment: environment, workingDirectory: workdir)
    }

    @Test func defaults_matchTheDocumentedValues() throws {
        #expect(try Self.load([:]).server == ServerLimits())
        #expect(ServerLimits().maxChatBodyBytes == 4 * 1024 * 1024)
    }

    @Test func keys_setTheLimits() throws {
        let server = try Self.load([
            "TERN_HEADER_TIMEOUT_SECONDS": "3", "TERN_IDLE_TIMEOUT_SECONDS": "30", "TERN_MAX_CONNECTIONS": "50",
            "TERN_MAX_REQUESTS_PER_CONNECTION": "7", "TERN_MAX_BODY_MB": "8", "TERN_STREAM_KEEPALIVE_SECONDS": "5",
            "TERN_STREAM_GRACE_SECONDS": "0.5",
        ]).server
        #expect(
            server
                == ServerLimits(
                    headerTimeout: .seconds(3), idleTimeout: .seconds(30), maxConnections: 50, maxRequestsPerConnection: 7,
                    maxChatBodyBytes: 8 * 1024 * 1024, streamKeepAlive: .seconds(5), streamStartGrace: .milliseconds(500)))
    }

    @Test func badValues_reportedTogetherByKey() {
        #expect {
            try Self.load(["TERN_MAX_BODY_MB": "0", "TERN_HEADER_TIMEOUT_SECONDS": "soon"])
        } throws: { error in
            let text = (error as? ConfigError)?.description ?? ""
            return text.contains("TERN_MAX_BODY_MB") && text.contains("TERN_HEADER_TIMEOUT_SECONDS")
        }
    }
}
