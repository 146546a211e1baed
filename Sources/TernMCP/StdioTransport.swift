package import Foundation
package import Logging
import Subprocess

/// The client side of MCP's stdio transport: runs the server as a child process and speaks
/// newline-delimited JSON-RPC over its stdin and stdout.
///
/// - The process gets exactly the configured environment (plus `PATH=/usr/local/bin:/usr/bin:/bin`
///   when none is configured); nothing of Tern's own environment is inherited.
/// - It runs in a process group of its own; stopping it (``disconnect()``, a cancelled
///   ``connect()``, dropping the transport) ends the whole group, grandchildren included.
/// - Its stderr goes to the log at `info`, one entry per line, with metadata `mcp_server`.
/// - When it exits (or closes stdout) the connection ends: ``receive()``'s stream throws
///   ``MCPClientError/connectionClosed(server:reason:)`` with the exit code or signal, and
///   ``send(_:)`` throws the same.
///
/// One transport runs one process once; to reconnect, make a new transport.
package actor StdioTransport: ClosableTransport {
    /// The transport's logger, with metadata `mcp_server`.
    package nonisolated let logger: Logger

    private let serverName: String
    private let executable: String
    private let arguments: [String]
    private let environment: [String: String]
    private let workingDirectory: String?
    private let terminationGrace: Duration
    private let maxMessageBytes: Int
    private let messages: AsyncThrowingStream<Data, any Error>
    private let messagesContinuation: AsyncThrowingStream<Data, any Error>.Continuation
    private let end: StdioEnd

    private var started = false
    private var messagesHandedOut = false
    private var process: StdioProcess?
    private var runTask: Task<Void, Never>?
    private var writeTail: Task<Void, any Error>?

    /// A transport for the server `serverName` (used in errors and logs), not started yet.
    ///
    /// - Parameters:
    ///   - executable: A path (relative to `workingDirectory`), or a name looked up in the `PATH`
    ///     of `environment`.
    ///   - environment: The server's whole environment; `PATH` defaults to a minimal one.
    ///   - workingDirectory: Where the server runs; Tern's own when `nil`.
    ///   - terminationGrace: How long ``disconnect()`` waits after closing stdin, and again
    ///     after SIGTERM, before escalating.
    ///   - maxMessageBytes: The longest message accepted on stdout; a longer line ends the
    ///     connection.
    package init(
        serverName: String, executable: String, arguments: [String], environment: [String: String],
        workingDirectory: String? = nil, terminationGrace: Duration = .seconds(2),
        maxMessageBytes: Int = 16 * 1024 * 1024, logger: Logger
    ) {
        var logger = logger
        logger[metadataKey: "mcp_server"] = .string(serverName)
        self.logger = logger
        self.serverName = serverName
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.terminationGrace = terminationGrace
        self.maxMessageBytes = maxMessageBytes
        (messages, messagesContinuation) = AsyncThrowingStream.makeStream(of: Data.self)
        end = StdioEnd(messages: messagesContinuation)
    }

    deinit {
        // Dropped without `disconnect()`: cancelling the run kills the process group.
        runTask?.cancel()
    }

    /// Starts the server process and returns once it is running (not when it answers).
    ///
    /// - Throws: ``MCPClientError/launchFailed(server:reason:)`` when it cannot be started (the
    ///   reason names the command); the reason the connection ended when called after it ended;
    ///   `CancellationError` when cancelled (the process is then killed).
    package func connect() async throws {
        if let reason = end.reason { throw reason }
        guard !started else { return }
        started = true

        let configuration: Subprocess.Configuration
        switch StdioLaunch.configuration(
            executable: executable, arguments: arguments, environment: environment, workingDirectory: workingDirectory)
        {
        case .success(let value):
            configuration = value
        case .failure(let failure):
            let error = MCPClientError.launchFailed(server: serverName, reason: failure.reason)
            logger.warning("stdio MCP server cannot be started", metadata: ["reason": "\(failure.reason)"])
            end.close(error)
            throw error
        }

        let settings = StdioProcess.Settings(
            serverName: serverName, command: executable, configuration: configuration,
            terminationGrace: terminationGrace, maxMessageBytes: maxMessageBytes, maxStderrLineBytes: 8 * 1024)
        let process = StdioProcess(settings: settings, messages: messagesContinuation, end: end, logger: logger)
        let task = Task.detached { await process.run() }
        self.process = process
        runTask = task

        do {
            try await withTaskCancellationHandler {
                try await process.waitUntilLaunched()
            } onCancel: {
                task.cancel()
            }
        } catch {
            logger.warning("stdio MCP server could not be started", metadata: ["error": "\(error)"])
            await task.value
            throw error
        }
        if Task.isCancelled {
            end.close(.connectionClosed(server: serverName, reason: "connecting was cancelled"))
            await task.value
            throw CancellationError()
        }
        if let reason = end.reason { throw reason }  // disconnected (or exited) while starting
    }

    /// Stops the server: closes its stdin, waits ``terminationGrace``, sends SIGTERM to its
    /// process group, waits again, then SIGKILL; returns once it has been reaped. The message
    /// stream ends with reason "disconnected". Idempotent; if the caller is cancelled, the
    /// group is killed at once.
    package func disconnect() async {
        end.close(.connectionClosed(server: serverName, reason: "disconnected"))
        started = true  // a later connect() throws instead of starting
        guard let process, let runTask else { return }
        process.requestStop()
        await withTaskCancellationHandler {
            await runTask.value
        } onCancel: {
            process.killGroup()
        }
    }

    /// Writes one JSON-RPC message, followed by a newline, to the server's stdin. Raw line
    /// breaks in `data` (only possible as JSON whitespace) are sent as spaces. Writes are
    /// serialised in call order.
    ///
    /// - Throws: ``MCPClientError/connectionClosed(server:reason:)`` once the connection has
    ///   ended or when the write fails.
    package func send(_ data: Data) async throws {
        if let reason = end.reason { throw reason }
        guard let process else {
            throw MCPClientError.connectionClosed(server: serverName, reason: "not connected")
        }
        var bytes = [UInt8](data)
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") || bytes[index] == UInt8(ascii: "\r") {
            bytes[index] = UInt8(ascii: " ")
        }
        bytes.append(UInt8(ascii: "\n"))
        let previous = writeTail
        // Not cancelled with the caller: half a message would corrupt the stream for everyone.
        let write = Task.detached {
            _ = await previous?.result
            try await process.write(bytes)
        }
        writeTail = write
        try await write.value
    }

    /// The server's messages, one `Data` per JSON-RPC message. Finishes by throwing
    /// ``MCPClientError/connectionClosed(server:reason:)`` when the connection ends; called
    /// again after that, returns a stream that throws at once.
    package func receive() -> AsyncThrowingStream<Data, any Error> {
        defer { messagesHandedOut = true }
        if messagesHandedOut, let reason = end.reason {
            return AsyncThrowingStream { $0.finish(throwing: reason) }
        }
        return messages
    }

    /// Waits until the connection has ended and returns why. If the caller is cancelled
    /// first, returns at once with reason "waiting was cancelled" (the connection stays open).
    package nonisolated func waitUntilClosed() async -> MCPClientError {
        await end.wait() ?? .connectionClosed(server: serverName, reason: "waiting was cancelled")
    }
}
