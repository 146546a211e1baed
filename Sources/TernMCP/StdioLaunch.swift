import Foundation
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a stdio MCP server is started: the command resolved to a path up front (so a missing or
/// non-executable command is reported clearly, naming it), exactly the configured environment
/// plus a minimal `PATH`, and a process group of its own.
enum StdioLaunch {
    /// Why a server cannot be started, in words for ``MCPClientError/launchFailed(server:reason:)``.
    struct Failure: Error, Equatable {
        var reason: String
    }

    /// `PATH` given to a server whose configuration sets none.
    static let defaultPATH = "/usr/local/bin:/usr/bin:/bin"

    /// The subprocess configuration for a server, or a readable reason why it cannot start.
    /// The reason names the command and the working directory, never environment values.
    static func configuration(
        executable: String, arguments: [String], environment: [String: String], workingDirectory: String?
    ) -> Result<Configuration, Failure> {
        var environment = environment
        if environment["PATH"] == nil { environment["PATH"] = defaultPATH }
        for name in environment.keys where name.isEmpty || name.contains("=") || name.contains("\0") {
            return .failure(Failure(reason: "invalid environment variable name '\(name)'"))
        }
        if let workingDirectory, !isDirectory(workingDirectory) {
            return .failure(Failure(reason: "working directory '\(workingDirectory)' does not exist or is not a directory"))
        }
        let resolved: String
        switch resolve(executable, path: environment["PATH"] ?? "", workingDirectory: workingDirectory) {
        case .success(let path): resolved = path
        case .failure(let failure): return .failure(failure)
        }
        var options = PlatformOptions()
        options.processGroupID = 0  // a group of its own, whose id is the child's pid
        let keyed = Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(rawValue: $0.key)!, $0.value) })
        return .success(
            Configuration(
                executable: .path(FilePath(resolved)),
                arguments: Arguments(arguments),
                environment: .custom(keyed),
                workingDirectory: workingDirectory.map { FilePath($0) },
                platformOptions: options))
    }

    /// `executable` as an absolute path: a path (containing `/`) is checked, relative to the
    /// working directory; a bare name is looked up in `path` like a shell does.
    static func resolve(_ executable: String, path: String, workingDirectory: String?) -> Result<String, Failure> {
        guard !executable.isEmpty else { return .failure(Failure(reason: "no command given")) }
        let base = workingDirectory ?? FileManager.default.currentDirectoryPath
        if executable.contains("/") {
            let full = executable.hasPrefix("/") ? executable : base + "/" + executable
            if !exists(full) { return .failure(Failure(reason: "'\(executable)' does not exist")) }
            if isDirectory(full) { return .failure(Failure(reason: "'\(executable)' is a directory, not a program")) }
            if access(full, X_OK) != 0 { return .failure(Failure(reason: "'\(executable)' is not executable")) }
            return .success(full)
        }
        var notExecutable: String?
        for directory in path.split(separator: ":", omittingEmptySubsequences: true) {
            let directory = directory.hasPrefix("/") ? String(directory) : base + "/" + directory
            let candidate = directory + "/" + executable
            guard exists(candidate), !isDirectory(candidate) else { continue }
            if access(candidate, X_OK) == 0 { return .success(candidate) }
            notExecutable = notExecutable ?? candidate
        }
        if let notExecutable {
            return .failure(Failure(reason: "command '\(executable)' was found at '\(notExecutable)' but it is not executable"))
        }
        return .failure(
            Failure(reason: "command '\(executable)' not found on PATH (set PATH in the server's environment or give a full path)"))
    }

    /// Why a server process ended, for ``MCPClientError/connectionClosed(server:reason:)``.
    static func describe(_ status: TerminationStatus) -> String {
        switch status {
        case .exited(let code):
            return "process exited with code \(code)"
        case .signaled(let signal):
            let names: [Int32: String] = [
                SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGKILL: "SIGKILL", SIGTERM: "SIGTERM",
                SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGPIPE: "SIGPIPE", SIGBUS: "SIGBUS",
            ]
            return "killed by signal \(signal)" + (names[signal].map { " (\($0))" } ?? "")
        }
    }

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
