import Foundation
import Logging
import Testing

/// Where the tests find real MCP servers: a Python with the PyPI packages `mcp`,
/// `mcp-server-time` and `mcp-server-git` installed (`scripts/test` builds that venv and sets
/// `TERN_TEST_MCP_PYTHON`). Our own small test servers, written with the `mcp` SDK, are in
/// `Tests/mcp-servers/`.
///
/// The suites that start servers are `.serialized`: a few dozen Python interpreters starting at
/// once on a 2-core CI machine starved unrelated timing-sensitive tests.
enum MCPTestEnvironment {
    /// The venv's python, or `nil` when the MCP server tests are off.
    static let python: String? = {
        let value = ProcessInfo.processInfo.environment["TERN_TEST_MCP_PYTHON"] ?? ""
        return value.isEmpty ? nil : value
    }()

    /// Whether tests against real MCP servers run.
    static var isAvailable: Bool { python != nil }

    /// `Tests/mcp-servers/` in this checkout.
    static let serversDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("mcp-servers", isDirectory: true)

    /// The path of one of our test servers, e.g. `script("echo_server.py")`.
    static func script(_ name: String) -> String {
        serversDirectory.appendingPathComponent(name).path
    }

    /// Quiet unless a test run asks for more.
    static let logger: Logger = {
        var logger = Logger(label: "tern.test.mcp")
        logger.logLevel = .warning
        return logger
    }()
}

@Suite struct MCPTestEnvironmentTests {
    /// Under CI the MCP tests must run, not quietly skip.
    @Test func realServersAreAvailableUnderCI() {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            #expect(MCPTestEnvironment.isAvailable, "CI=true but TERN_TEST_MCP_PYTHON is not set (run scripts/test)")
        }
    }
}
