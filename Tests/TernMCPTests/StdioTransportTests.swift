import Foundation
import Logging
import MCP
import Synchronization
import Testing
import TernTools

@testable import TernMCP

#if canImport(Glibc)
    import Glibc
#endif

/// ``StdioTransport`` against real servers: our `echo_server.py`/`silent_server.py` and the
/// PyPI `mcp-server-time` and `mcp-server-git`, driven by the SDK's `Client`.
@Suite(.enabled(if: MCPTestEnvironment.isAvailable), .serialized, .timeLimit(.minutes(1)))
struct StdioTransportTests {
    @Test func timeServer_listsAndCallsTools() async throws {
        let transport = transport("time", arguments: ["-m", "mcp_server_time", "--local-timezone", "UTC"])
        let client = try await connect(transport)
        let tools = try await client.listTools().tools.map(\.name)
        #expect(tools.contains("get_current_time"))
        let result = try await client.callTool(name: "get_current_time", arguments: ["timezone": "UTC"])
        #expect(result.isError != true)
        let json = try JSONSerialization.jsonObject(with: Data(text(result).utf8)) as? [String: Any]
        #expect(json?["timezone"] as? String == "UTC")
        await client.disconnect()
    }

    @Test func gitServer_logMentionsTheCommit() async throws {
        let repository = try await makeRepository(commitMessage: "Initial commit from the tern test")
        defer { try? FileManager.default.removeItem(atPath: repository) }  // cleanup: failure is harmless
        let transport = transport("git", arguments: ["-m", "mcp_server_git", "--repository", repository])
        let client = try await connect(transport)
        let tools = try await client.listTools().tools.map(\.name)
        #expect(tools.contains("git_log") && tools.contains("git_status"))
        let result = try await client.callTool(name: "git_log", arguments: ["repo_path": .string(repository)])
        #expect(result.isError != true)
        #expect(text(result).contains("Initial commit from the tern test"))
        await client.disconnect()
    }

    @Test func echo_roundTripsAndReportsToolErrors() async throws {
        let client = try await connect(transport("echo", script: "echo_server.py"))
        let tools = try await client.listTools().tools
        #expect(tools.first { $0.name == "delete_everything" }?.annotations.destructiveHint == true)
        let echoed = try await client.callTool(name: "echo", arguments: ["text": "héllo\nwörld \"quoted\""])
        #expect(text(echoed) == "héllo\nwörld \"quoted\"")
        let sum = try await client.callTool(name: "add", arguments: ["a": 2, "b": 40])
        #expect(text(sum) == "42")
        let failed = try await client.callTool(name: "fail", arguments: ["message": "boom"])
        #expect(failed.isError == true)
        #expect(text(failed).contains("boom"))
        await client.disconnect()
    }

    @Test func environment_isExactlyTheConfiguredOne() async throws {
        // A variable only this process has (the suite runs only when it is set). Not one set
        // here with setenv: that races other tests' Process.run(), which copies the environment
        // (Foundation crashed in memmove when a setenv/unsetenv freed it mid-copy).
        #expect(ProcessInfo.processInfo.environment["TERN_TEST_MCP_PYTHON"] != nil)
        let client = try await connect(transport("echo", script: "echo_server.py", environment: ["TERN_CONFIGURED": "yes"]))
        #expect(text(try await client.callTool(name: "env", arguments: ["name": "TERN_CONFIGURED"])) == "yes")
        #expect(text(try await client.callTool(name: "env", arguments: ["name": "TERN_TEST_MCP_PYTHON"])) == "<unset>")
        #expect(text(try await client.callTool(name: "env", arguments: ["name": "HOME"])) == "<unset>")
        #expect(text(try await client.callTool(name: "env", arguments: ["name": "PATH"])) == StdioLaunch.defaultPATH)
        await client.disconnect()
    }

    @Test func missingCommand_failsToLaunchNamingIt() async throws {
        let transport = TernMCP.StdioTransport(
            serverName: "nope", executable: "tern-no-such-command", arguments: [], environment: [:],
            logger: MCPTestEnvironment.logger)
        let error = await #expect(throws: MCPClientError.self) { try await transport.connect() }
        guard case .launchFailed(let server, let reason) = error else {
            Issue.record("expected launchFailed, got \(String(describing: error))")
            return
        }
        #expect(server == "nope")
        #expect(reason.contains("'tern-no-such-command' not found on PATH"))
        #expect(await transport.waitUntilClosed() == error)
        await #expect(throws: MCPClientError.self) { try await transport.send(Data("{}".utf8)) }
    }

    @Test func nonExecutableScript_failsToLaunchNamingIt() async throws {
        let script = MCPTestEnvironment.script("echo_server.py")  // a file, but not executable
        let transport = TernMCP.StdioTransport(
            serverName: "script", executable: script, arguments: [], environment: [:], logger: MCPTestEnvironment.logger)
        let error = await #expect(throws: MCPClientError.self) { try await transport.connect() }
        #expect(error == .launchFailed(server: "script", reason: "'\(script)' is not executable"))
    }

    @Test func crash_endsTheConnectionWithTheExitCode() async throws {
        let transport = transport("echo", script: "echo_server.py")
        let client = try await connect(transport)
        // The SDK never answers a request whose server died; disconnecting the client fails it.
        let call = Task { try await client.callTool(name: "crash") }
        let reason = await transport.waitUntilClosed()
        #expect(reason == .connectionClosed(server: "echo", reason: "process exited with code 3"))
        await #expect(throws: MCPClientError.self) { try await transport.send(Data("{}".utf8)) }
        var messages = await transport.receive().makeAsyncIterator()
        await #expect(throws: MCPClientError.self) { _ = try await messages.next() }
        await client.disconnect()
        _ = await call.result
    }

    @Test func disconnect_killsTheWholeProcessGroup() async throws {
        // A short grace: the echo server exits on stdin EOF, but its grandchild only dies by signal.
        let client = try await connect(transport("echo", script: "echo_server.py", grace: .milliseconds(200)))
        let pid = try #require(pid_t(text(try await client.callTool(name: "spawn_child"))))
        #expect(kill(pid, 0) == 0)
        await client.disconnect()
        // SIGKILL reaches the grandchild asynchronously, and nothing signals the death of a process
        // that is not our child, so this one check polls, with a deadline.
        let deadline = ContinuousClock.now + .seconds(5)
        while !isGone(pid), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(isGone(pid), "grandchild \(pid) survived disconnect()")
    }

    @Test func stderr_linesGoToTheLog() async throws {
        let log = CapturedLog()
        let logger = Logger(label: "tern.test.stdio") { _ in CapturingLogHandler(log: log) }
        let transport = transport("echo", script: "echo_server.py", logger: logger)
        let client = try await connect(transport)
        await client.disconnect()  // returns after the process is reaped and its stderr drained
        let entry = log.entries.first { $0.metadata["line"] == "echo_server: ready" }
        #expect(entry?.message == "MCP server wrote to stderr")
        #expect(entry?.level == .info)
        #expect(entry?.metadata["mcp_server"] == "echo")
    }

    @Test func silentServer_staysOpenAndDisconnectsByItself() async throws {
        let transport = transport("silent", script: "silent_server.py")
        try await transport.connect()
        try await transport.send(Data(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.utf8))
        let waiter = Task { await transport.waitUntilClosed() }
        try await transport.send(Data(#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#.utf8))  // still open
        await transport.disconnect()
        #expect(await waiter.value == .connectionClosed(server: "silent", reason: "disconnected"))
        await transport.disconnect()  // idempotent
    }

    @Test func oversizedMessage_endsTheConnection() async throws {
        let transport = transport("echo", script: "echo_server.py", maxMessageBytes: 4096)
        let client = try await connect(transport)
        let call = Task { try await client.callTool(name: "echo", arguments: ["text": .string(String(repeating: "x", count: 8192))]) }
        let reason = await transport.waitUntilClosed()
        #expect(reason == .connectionClosed(server: "echo", reason: "protocol violation: a message on stdout is longer than 4096 bytes"))
        await client.disconnect()
        _ = await call.result
    }

    @Test func lineSplitter_handlesChunksBlankLinesAndLimits() throws {
        var lines = StdioLineSplitter(limit: 8, overflow: .fail)
        #expect(try lines.append(Data("{\"a\"".utf8)).isEmpty)
        #expect(try lines.append(Data(":1}\r\n\n  \n{}\n{".utf8)).map(\.bytes) == [Data("{\"a\":1}".utf8), Data("{}".utf8)])
        #expect(lines.finish()?.bytes == Data("{".utf8))
        #expect(throws: StdioLineSplitter.LineTooLong(limit: 8)) { try lines.append(Data("123456789".utf8)) }

        var truncating = StdioLineSplitter(limit: 4, overflow: .truncate)
        let cut = try truncating.append(Data([0x61, 0x62, 0xFF, 0x63, 0x64, 0x65, 0x0A]))
        #expect(cut == [.init(bytes: Data([0x61, 0x62, 0xFF, 0x63]), truncated: true)])
    }

    // MARK: - Helpers

    private func transport(
        _ name: String, script: String? = nil, arguments: [String] = [], environment: [String: String] = [:],
        grace: Duration = .seconds(2), maxMessageBytes: Int = 16 * 1024 * 1024, logger: Logger = MCPTestEnvironment.logger
    ) -> TernMCP.StdioTransport {
        TernMCP.StdioTransport(
            serverName: name, executable: MCPTestEnvironment.python!,
            arguments: (script.map { [MCPTestEnvironment.script($0)] } ?? []) + arguments,
            environment: environment, terminationGrace: grace, maxMessageBytes: maxMessageBytes, logger: logger)
    }

    private func connect(_ transport: TernMCP.StdioTransport) async throws -> Client {
        let client = Client(name: "tern-test", version: "1")
        do {
            try await client.connect(tern: transport)
        } catch {
            await client.disconnect()
            throw error
        }
        return client
    }

    private func text(_ result: (content: [MCP.Tool.Content], isError: Bool?)) -> String {
        result.content.compactMap { content -> String? in
            if case .text(let text, _, _) = content { return text }
            return nil
        }.joined()
    }

    /// Whether `pid` is gone: no such process (ESRCH), or a zombie waiting for init to reap it.
    private func isGone(_ pid: pid_t) -> Bool {
        if kill(pid, 0) != 0 { return errno == ESRCH }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""  // vanished: nil
        guard let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// A temporary git repository with one commit.
    private func makeRepository(commitMessage: String) async throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tern-git-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try "hello\n".write(toFile: path + "/README.md", atomically: true, encoding: .utf8)
        let environment = [
            "PATH": StdioLaunch.defaultPATH, "HOME": path, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Tern Test", "GIT_AUTHOR_EMAIL": "test@tern.invalid",
            "GIT_COMMITTER_NAME": "Tern Test", "GIT_COMMITTER_EMAIL": "test@tern.invalid",
        ]
        let runner = ProcessRunner(timeout: .seconds(30))
        for arguments in [["init", "-q"], ["add", "README.md"], ["commit", "-q", "-m", commitMessage]] {
            let outcome = try await runner.run("git", arguments, environment: environment, workingDirectory: path)
            try #require(outcome.succeeded, "git \(arguments.joined(separator: " ")): \(outcome.standardError)")
        }
        return path
    }
}

/// Log entries captured by ``CapturingLogHandler``.
private final class CapturedLog: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let storage = Mutex<[Entry]>([])

    var entries: [Entry] { storage.withLock { $0 } }

    func append(_ entry: Entry) { storage.withLock { $0.append(entry) } }
}

/// A log handler that keeps every entry (handler and call metadata merged).
private struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        log.append(.init(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
