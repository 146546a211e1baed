import Foundation
import Testing
import TernCore
import TernNetwork
import TernTools

/// `git_clone` against git's own smart-HTTP backend on loopback (via Python's CGI server), opened
/// only by an allow-list entry, and against a server that never answers.
@Suite(.timeLimit(.minutes(1)), .serialized) struct GitCloneLiveTests {
    let context = ToolContext(contextID: "ctx-a", userID: .localUser)

    /// Runs a helper process; returns it and its first line of output.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin:/usr/local/bin", "PYTHONUNBUFFERED": "1"].merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        return (process, String(decoding: line, as: UTF8.self))
    }

    static func git(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"] + arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
    }

    /// A bare repository with one commit, served by git-http-backend; `body` gets the clone URL.
    func withGitServer(_ body: (URL, String, Int) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tern-git-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }  // best-effort temp cleanup
        let work = root.appendingPathComponent("work")
        let repos = root.appendingPathComponent("srv/repos")
        let cgi = root.appendingPathComponent("srv/cgi-bin")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repos, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: cgi, withIntermediateDirectories: true)
        try Self.git(["init", "-q"], in: work)
        try "hello from git\n".write(to: work.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        try Self.git(["add", "."], in: work)
        try Self.git(["commit", "-qm", "init"], in: work)
        try Self.git(["clone", "-q", "--bare", work.path, repos.appendingPathComponent("demo.git").path], in: root)
        // Python's CGI server drops to `nobody` when run as root: git must trust the directory.
        let script = """
            #!/bin/sh
            export GIT_PROJECT_ROOT=\(repos.path) GIT_HTTP_EXPORT_ALL=1 GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'
            exec /usr/lib/git-core/git-http-backend
            """
        try script.write(to: cgi.appendingPathComponent("git"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cgi.appendingPathComponent("git").path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.path)
        let (server, line) = try Self.start(
            ["sh", "-c", "cd \(root.path)/srv && exec python3 -m http.server --cgi --bind 127.0.0.1 0"])
        // SIGKILL: the test process may ignore SIGTERM (signal handlers of services under test),
        // and an ignored signal stays ignored in children across exec, so terminate() left
        // these servers running after every run.
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        let port = try #require(line.split(separator: " ").firstIndex(of: "port").map { Int(line.split(separator: " ")[$0 + 1]) } ?? nil)
        try await body(root.appendingPathComponent("workspaces"), "http://127.0.0.1:\(port)/cgi-bin/git/demo.git", port)
    }

    func tool(_ root: URL, allow: [String], timeout: Duration = .seconds(30)) throws -> GitCloneTool {
        let entries = try allow.map { try NetworkAllowEntry(parsing: $0) }
        return try GitCloneTool(
            workspace: Workspace(root: root),
            networkGuard: NetworkGuard(policy: URLPolicy(allowList: entries), resolver: SystemHostResolver()),
            runner: ProcessRunner(timeout: timeout))
    }

    @Test func clonesThroughTheAllowList_intoTheContextsWorkspace() async throws {
        try await withGitServer { root, url, port in
            let clone = try tool(root, allow: ["127.0.0.1:\(port)"])
            let output = try await clone.call(["url": .string(url)], in: context)
            #expect(!output.isError, "\(output.text)")
            #expect(output.text.hasPrefix("cloned \(url) into 'demo'"))
            let read = try await ReadFileTool(workspace: Workspace(root: root)).call(["path": "demo/README.md"], in: context)
            #expect(read.text.contains("hello from git"))
            let again = try await clone.call(["url": .string(url)], in: context)
            #expect(again.text == "'demo' already exists in the workspace; pass another 'directory'")
            let other = try await clone.call(["url": .string(url), "directory": "../escape"], in: context)
            #expect(other.isError)
        }
    }

    @Test func withoutTheAllowList_theLocalServerIsRefused() async throws {
        try await withGitServer { root, url, _ in
            let output = try await tool(root, allow: []).call(["url": .string(url)], in: context)
            #expect(output.isError)
            #expect(output.text.contains("plain http is only allowed for allow-listed hosts"), "\(output.text)")
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("ctx-a/demo").path))
        }
    }

    @Test func aServerThatNeverAnswers_timesOut_andLeavesNothing() async throws {
        let (listener, line) = try Self.start([
            "python3", "-c",
            "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\nprint(s.getsockname()[1], flush=True)\nc=s.accept()\ntime.sleep(60)",
        ])
        defer { listener.terminate() }
        let port = try #require(Int(line))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tern-git-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }  // best-effort temp cleanup
        let output = try await tool(root, allow: ["127.0.0.1:\(port)"], timeout: .seconds(1))
            .call(["url": .string("http://127.0.0.1:\(port)/repo.git")], in: context)
        #expect(output.text == "git did not finish within 1s and was stopped", "\(output.text)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("ctx-a/repo").path))
    }
}
