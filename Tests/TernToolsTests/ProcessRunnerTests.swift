import Foundation
import Testing
import TernTools

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.timeLimit(.minutes(1))) struct ProcessRunnerTests {
    let environment = ["PATH": "/usr/bin:/bin"]

    @Test func run_collectsOutputAndExitCode_withOnlyTheGivenEnvironment() async throws {
        let outcome = try await ProcessRunner().run(
            "sh", ["-c", "echo out; echo err >&2; echo \"home=$HOME\"; exit 3"], environment: environment)
        #expect(outcome.exitCode == 3)
        #expect(outcome.standardOutput == "out\nhome=\n")
        #expect(outcome.standardError == "err\n")
    }

    @Test func timeout_killsTheWholeProcessGroup_andSaysHowLongItWaited() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
        let pidFile = directory.appendingPathComponent("child.pid").path
        // The child starts a grandchild that would outlive a kill of the child alone.
        let runner = ProcessRunner(timeout: .milliseconds(500))
        await #expect(throws: ProcessRunner.Failure.timedOut(command: "sh", after: .milliseconds(500))) {
            _ = try await runner.run(
                "sh", ["-c", "sleep 60 & echo $! > \(pidFile); wait"], environment: environment)
        }
        let grandchild = try #require(
            pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Reap-independent check: the process is gone or a zombie about to be reaped by init.
        // SIGKILL is delivered, not awaited: a process of the killed group may still be on its
        // way out when the runner returns (seen on a loaded machine), so it gets a few seconds;
        // a grandchild the kill missed would sleep for the whole minute.
        func gone() -> Bool {
            if kill(grandchild, 0) != 0 { return true }
            let state = try? String(contentsOfFile: "/proc/\(grandchild)/stat", encoding: .utf8)
            return state?.split(separator: " ").dropFirst(2).first == "Z"
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while !gone(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(gone(), "the grandchild \(grandchild) survived the timeout")
        #expect(
            ProcessRunner.Failure.timedOut(command: "git", after: .seconds(90)).description
                == "git did not finish within 90s and was stopped")
    }

    @Test func tooMuchOutput_isRefused() async throws {
        let runner = ProcessRunner(outputLimit: 1000)
        await #expect(throws: ProcessRunner.Failure.outputTooLarge(command: "head", limit: 1000)) {
            _ = try await runner.run("head", ["-c", "100000", "/dev/zero"], environment: environment)
        }
    }

    @Test func missingExecutable_isALaunchFailureNamingIt() async throws {
        do {
            _ = try await ProcessRunner().run("/nonexistent/tool", [], environment: environment)
            Issue.record("expected a launch failure")
        } catch let failure as ProcessRunner.Failure {
            guard case .launchFailed(let command, _) = failure else {
                Issue.record("unexpected \(failure)")
                return
            }
            #expect(command == "tool")
        }
    }
}
