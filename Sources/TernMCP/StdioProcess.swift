import Foundation
import Logging
import Subprocess
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One running stdio MCP server behind a ``StdioTransport``: spawns it, feeds stdout lines to the
/// message stream and stderr lines to the log, writes to its stdin, and stops it — stdin closed,
/// a grace period, SIGTERM, SIGKILL, always to the whole process group.
///
/// `run()` lives as long as the process (swift-subprocess keeps it for the body's lifetime). The
/// group is signalled only from inside that body: until the body returns the leader is not reaped,
/// so its pid, the group's id, cannot have been reused by an unrelated process.
final class StdioProcess: Sendable {
    /// What stays fixed for the life of the process.
    struct Settings: Sendable {
        var serverName: String
        var command: String
        var configuration: Configuration
        var terminationGrace: Duration
        var maxMessageBytes: Int
        var maxStderrLineBytes: Int
    }

    private struct State {
        /// The leader's pid while the body runs (not yet reaped); `nil` before and after.
        var pid: pid_t?
        var writer: StandardInputWriter?
        var stdinClosed = false
        var writesInFlight = 0
        var launch: CheckedContinuation<Void, any Error>?
        var launchResult: Result<Void, MCPClientError>?
    }

    private enum Event: Sendable {
        case stdoutEnded
        case stderrEnded
        case stopRequested
    }

    private let settings: Settings
    private let state = Mutex(State())
    private let stopSignal = AsyncStream<Void>.makeStream()
    private let messages: AsyncThrowingStream<Data, any Error>.Continuation
    private let end: StdioEnd
    private let logger: Logger

    /// A process not started yet; `run()` starts it.
    init(
        settings: Settings, messages: AsyncThrowingStream<Data, any Error>.Continuation, end: StdioEnd, logger: Logger
    ) {
        _ = ignoreSIGPIPE
        self.settings = settings
        self.messages = messages
        self.end = end
        self.logger = logger
    }

    /// Runs the process to its end, then ends the connection with the reason it ended.
    func run() async {
        let reason: String
        do {
            let result = try await Subprocess.run(
                settings.configuration, input: .inputWriter, output: .sequence, error: .sequence
            ) { execution in
                await self.serve(execution)
            }
            reason = StdioLaunch.describe(result.terminationStatus)
        } catch {
            let launched = state.withLock { $0.launchResult != nil }
            if !launched {
                let failure = MCPClientError.launchFailed(
                    server: settings.serverName, reason: "could not start '\(settings.command)': \(error)")
                end.close(failure)
                resolveLaunch(.failure(failure))
                return
            }
            logger.warning("stdio MCP server failed", metadata: ["error": "\(error)"])
            reason = "\(error)"
        }
        if end.close(.connectionClosed(server: settings.serverName, reason: reason)) {
            logger.notice("stdio MCP server ended", metadata: ["reason": "\(reason)"])
        }
    }

    /// Waits until the process was spawned (returns) or could not be (throws ``MCPClientError``).
    func waitUntilLaunched() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let result = state.withLock { state -> Result<Void, MCPClientError>? in
                if state.launchResult == nil { state.launch = continuation }
                return state.launchResult
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// Asks the process to stop: stdin closed, grace, SIGTERM, SIGKILL. Returns at once; the
    /// process has stopped when `run()` returns.
    func requestStop() {
        stopSignal.continuation.finish()
    }

    /// SIGKILL to the whole group now (a no-op unless the process is running).
    func killGroup() {
        state.withLock { state in
            if let pid = state.pid { _ = kill(-pid, SIGKILL) }
        }
    }

    /// Writes `bytes` to the process's stdin; throws ``MCPClientError/connectionClosed`` when it
    /// is closed or the write fails.
    func write(_ bytes: [UInt8]) async throws {
        let writer = state.withLock { state -> StandardInputWriter? in
            guard !state.stdinClosed, let writer = state.writer else { return nil }
            state.writesInFlight += 1
            return writer
        }
        guard let writer else {
            throw end.reason ?? .connectionClosed(server: settings.serverName, reason: "standard input is closed")
        }
        defer { state.withLock { $0.writesInFlight -= 1 } }
        let written: Int
        do {
            written = try await writer.write(bytes)
        } catch {
            throw end.reason
                ?? .connectionClosed(server: settings.serverName, reason: "could not write to the process: \(error)")
        }
        guard written == bytes.count else {
            throw end.reason
                ?? .connectionClosed(server: settings.serverName, reason: "the process stopped reading its input")
        }
    }

    // MARK: - The body, while the process lives

    private func serve(_ execution: Execution<CustomWriteInput, SequenceOutput, SequenceOutput>) async {
        let pid = execution.processIdentifier.value
        state.withLock { state in
            state.pid = pid
            state.writer = execution.standardInputWriter
        }
        resolveLaunch(.success(()))
        logger.debug("stdio MCP server started", metadata: ["pid": "\(pid)"])
        await withTaskCancellationHandler {
            await withTaskGroup(of: Event.self) { group in
                group.addTask { await self.readMessages(execution.standardOutput) }
                group.addTask { await self.logStandardError(execution.standardError) }
                group.addTask {
                    var stop = self.stopSignal.stream.makeAsyncIterator()
                    _ = await stop.next()  // finished by requestStop(), or the task is cancelled
                    return .stopRequested
                }
                while let event = await group.next(), event == .stderrEnded {}
                await self.shutDown(execution)
                group.cancelAll()
            }
        } onCancel: {
            self.killGroup()
        }
        // Kill whatever is left of the group (grandchildren) while the leader is still unreaped.
        state.withLock { state in
            _ = kill(-pid, SIGKILL)
            state.pid = nil
            state.writer = nil
            state.stdinClosed = true
        }
    }

    /// Closes stdin, waits out the grace, SIGTERM to the group, waits again, SIGKILL to the group;
    /// returns once the leader has exited (at once if it already had).
    private func shutDown(_ execution: Execution<CustomWriteInput, SequenceOutput, SequenceOutput>) async {
        let writer = state.withLock { state -> StandardInputWriter? in
            state.stdinClosed = true
            // Closing under a blocked write could pull the descriptor from under it; the write
            // ends when the process dies, and `run` closes stdin after the body.
            return state.writesInFlight == 0 ? state.writer : nil
        }
        do {
            try await writer?.finish()
        } catch {
            logger.warning("could not close the stdio MCP server's input", metadata: ["error": "\(error)"])
        }
        let grace = settings.terminationGrace
        await execution.teardown(using: [
            .send(signal: Signal(rawValue: 0), toProcessGroup: true, allowedDurationToNextStep: grace),  // just wait
            .send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: grace),
        ])  // teardown ends with SIGKILL to the group
    }

    private func readMessages(_ output: SubprocessOutputSequence) async -> Event {
        var lines = StdioLineSplitter(limit: settings.maxMessageBytes, overflow: .fail)
        do {
            for try await chunk in output {
                for line in try chunk.withUnsafeBytes({ buffer throws(StdioLineSplitter.LineTooLong) in
                    try lines.append(buffer)
                }) {
                    messages.yield(line.bytes)
                }
            }
            if let line = lines.finish() { messages.yield(line.bytes) }
        } catch let error as StdioLineSplitter.LineTooLong {
            let reason = "protocol violation: a message on stdout is longer than \(error.limit) bytes"
            logger.warning("stdio MCP server sent an oversized message; stopping it", metadata: ["limit": "\(error.limit)"])
            end.close(.connectionClosed(server: settings.serverName, reason: reason))
        } catch {
            logger.warning("reading the stdio MCP server's output failed", metadata: ["error": "\(error)"])
            end.close(.connectionClosed(server: settings.serverName, reason: "reading its output failed: \(error)"))
        }
        return .stdoutEnded
    }

    private func logStandardError(_ output: SubprocessOutputSequence) async -> Event {
        var lines = StdioLineSplitter(limit: settings.maxStderrLineBytes, overflow: .truncate)
        let server = Logger.MetadataValue.string(settings.serverName)
        func log(_ line: StdioLineSplitter.Line) {
            let text = String(decoding: line.bytes, as: UTF8.self) + (line.truncated ? " […]" : "")
            logger.info("MCP server wrote to stderr", metadata: ["mcp_server": server, "line": .string(text)])
        }
        do {
            for try await chunk in output {
                // `.truncate` never throws.
                for line
                    in (try? chunk.withUnsafeBytes { buffer throws(StdioLineSplitter.LineTooLong) in
                        try lines.append(buffer)
                    }) ?? []
                {
                    log(line)
                }
            }
        } catch {
            logger.warning("reading the stdio MCP server's stderr failed", metadata: ["error": "\(error)"])
        }
        if let line = lines.finish() { log(line) }
        return .stderrEnded
    }

    private func resolveLaunch(_ result: Result<Void, MCPClientError>) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard state.launchResult == nil else { return nil }
            state.launchResult = result
            defer { state.launch = nil }
            return state.launch
        }
        waiter?.resume(with: result.mapError { $0 as any Error })
    }
}

/// Writing to a pipe whose reader has exited raises SIGPIPE, which would end Tern; ignored
/// process-wide (as NIO does) the first time a stdio server is created, so the write fails instead.
private let ignoreSIGPIPE: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()
