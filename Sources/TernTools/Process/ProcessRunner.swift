import Foundation
package import Logging
import Subprocess
import Synchronization
import SystemPackage
import TernCore

#if canImport(Glibc)
    import Glibc
#endif

/// The one way Tern runs a subprocess: in a process group of its own, with a minimal
/// environment, a timeout and output caps. When the time is up (or the caller is cancelled)
/// the whole group is killed, so children of the child (git's helpers, ssh) die too.
package struct ProcessRunner: Sendable {
    /// What a finished process left.
    package struct Outcome: Sendable, Equatable {
        /// The exit code; `nil` when a signal ended it.
        package var exitCode: Int32?
        /// The signal that ended it, if one did.
        package var signal: Int32?
        package var standardOutput: String
        package var standardError: String

        /// Whether it exited with 0.
        package var succeeded: Bool { exitCode == 0 }
    }

    /// Why a process could not be run to its end.
    package enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// It ran longer than allowed and was killed with its group.
        case timedOut(command: String, after: Duration)
        /// It wrote more than allowed to standard output or error.
        case outputTooLarge(command: String, limit: Int)
        /// It could not be started.
        case launchFailed(command: String, reason: String)

        package var description: String {
            switch self {
            case .timedOut(let command, let after):
                "\(command) did not finish within \(after.shortDescription) and was stopped"
            case .outputTooLarge(let command, let limit):
                "\(command) wrote more than \(limit) bytes of output and was stopped"
            case .launchFailed(let command, let reason):
                "could not start \(command): \(reason)"
            }
        }
    }

    /// Longest run.
    package var timeout: Duration
    /// Most bytes kept of standard output, and of standard error.
    package var outputLimit: Int
    private let logger: Logger

    package init(
        timeout: Duration = .seconds(120), outputLimit: Int = 256 * 1024,
        logger: Logger = Logger(label: "tern.tools.process")
    ) {
        self.timeout = timeout
        self.outputLimit = outputLimit
        self.logger = logger
    }

    /// Runs `executable` (a path, or a name looked up in `PATH` of `environment`) with exactly
    /// `environment` (nothing is inherited) and waits for it.
    package func run(
        _ executable: String, _ arguments: [String], environment: [String: String],
        workingDirectory: String? = nil
    ) async throws -> Outcome {
        let command = URL(fileURLWithPath: executable).lastPathComponent
        var options = PlatformOptions()
        options.processGroupID = 0  // a group of its own, whose id is the child's pid
        let configuration = Configuration(
            executable: executable.contains("/") ? .path(FilePath(executable)) : .name(executable),
            arguments: Arguments(arguments),
            environment: .custom(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(rawValue: $0.key)!, $0.value) })),
            workingDirectory: workingDirectory.map { FilePath($0) },
            platformOptions: options)
        let group = ProcessGroup()
        let limit = outputLimit
        let timeout = timeout

        return try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Outcome?.self) { tasks in
                tasks.addTask {
                    let result = try await Subprocess.run(
                        configuration, input: .none, output: .string(limit: limit), error: .string(limit: limit)
                    ) { execution in
                        group.started(execution.processIdentifier.value)
                    }
                    var outcome = Outcome(
                        exitCode: nil, signal: nil, standardOutput: result.standardOutput,
                        standardError: result.standardError)
                    switch result.terminationStatus {
                    case .exited(let code): outcome.exitCode = code
                    case .signaled(let signal): outcome.signal = signal
                    }
                    return outcome
                }
                tasks.addTask {
                    try await sleepReleasingTimer(for: timeout)
                    return nil
                }
                defer { tasks.cancelAll() }
                do {
                    guard let first = try await tasks.next(), let outcome = first else {
                        try Task.checkCancellation()
                        group.kill()
                        logger.warning(
                            "subprocess timed out; its process group was killed",
                            metadata: ["command": "\(command)", "timeout": "\(timeout.shortDescription)"])
                        throw Failure.timedOut(command: command, after: timeout)
                    }
                    return outcome
                } catch let error as SubprocessError {
                    group.kill()
                    if error.code == .outputLimitExceeded {
                        throw Failure.outputTooLarge(command: command, limit: limit)
                    }
                    throw Failure.launchFailed(command: command, reason: "\(error)")
                }
            }
        } onCancel: {
            group.kill()
        }
    }
}

/// The child's process group, killed as a whole.
private final class ProcessGroup: Sendable {
    private let id = Mutex<pid_t?>(nil)

    func started(_ pid: pid_t) { id.withLock { $0 = pid } }

    /// SIGKILL to every process of the group (a no-op once it is gone).
    func kill() {
        guard let pid = id.withLock({ $0 }), pid > 0 else { return }
        _ = Glibc.kill(-pid, SIGKILL)
    }
}
