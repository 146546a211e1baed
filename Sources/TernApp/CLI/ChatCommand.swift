import ArgumentParser
import Foundation
import Logging
import Synchronization
import TernAgent
import TernCore

/// `tern chat`: talk to the agent in the terminal, through the same ``AgentService`` as the API.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with the agent in the terminal.",
        discussion: """
            Answers stream as they are written. Commands: /new starts a new session, /exit quits \
            (so does Ctrl-D). Ctrl-C cancels the running answer, not the program.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(help: "Name of the conversation to continue or start.")
    var conversation = "default"

    @Option(help: "The context (tenant) to chat in; the local user must be a member.")
    var context = "default"

    func run() async throws {
        let config = try options.load()
        let logger = bootstrapLogging(level: config.logLevel < .warning ? .warning : config.logLevel)
        let dependencies = try await Dependencies.live(config: config, logger: logger)
        do {
            try await TerminalChat(
                dependencies: dependencies, conversationName: conversation, contextName: context
            ).run()
        } catch {
            try await dependencies.shutdown()
            throw error
        }
        try await dependencies.shutdown()
    }
}

/// The interactive loop of `tern chat`.
struct TerminalChat {
    let dependencies: Dependencies
    let conversationName: String
    let contextName: String

    func run() async throws {
        let turns = dependencies.turns
        // The terminal is the local admin's shell: it acts as the local user.
        let caller = TurnCaller.claim(.local(contextName: contextName))
        do {
            _ = try await turns.resolve(caller)
        } catch let error as IdentityError {
            throw CLIError(error.description)
        }
        let user = ProcessInfo.processInfo.environment["USER"] ?? "local"
        let address = ConversationAddress(platform: "cli") { [conversationName] _ in "\(user)/\(conversationName)" }
        let interrupts = InterruptRelay()
        write(
            "tern \(TernCommand.version) · context '\(contextName)' · conversation '\(conversationName)' · /new, /exit, Ctrl-C cancels an answer\n"
        )
        if dependencies.config.llm == nil {
            write("note: no model server configured (TERN_LLM_BASE_URL); answers will fail.\n")
        }
        let lines = LineReader(StandardInputLines.stream())
        while true {
            write("\n> ")
            guard let line = await lines.next() else { break }
            let input = line.trimmingCharacters(in: .whitespacesAndNewlines)
            switch input {
            case "": continue
            case "/exit", "/quit": return
            case "/new":
                _ = try await turns.startSession(for: caller, in: address)
                write("(new session)\n")
                continue
            default: break
            }
            let task = Task {
                let turn = try await turns.start(TurnRequest(caller: caller, conversation: address, kind: .message(input)))
                try await Self.show(turn, agent: turns.agent, lines: lines)
            }
            interrupts.whileRunning(task)
            do {
                try await task.value
                write("\n")
            } catch is CancellationError {
                write("\n(cancelled)\n")
            } catch {
                write("\nerror: \(error)\n")
            }
            interrupts.idle()
        }
    }

    /// Writes the answer as it streams; the terminal's user decides approvals inline.
    private static func show(_ turn: Turn, agent: AgentService, lines: LineReader) async throws {
        let progress = ProgressRenderer(verbosity: .default)
        for try await event in turn.events {
            switch event {
            case .content(let text):
                write(text)
            case .approvalRequired(let request):
                // The turn waits for the answer.
                write(progress.line(for: event) ?? "")
                write("Run `\(request.tool)` with \(request.arguments)? [y/N] ")
                let answer = await lines.next()?.trimmingCharacters(in: .whitespaces).lowercased()
                _ = try await agent.decideApproval(
                    request.id, approve: answer == "y" || answer == "yes", by: turn.identity.user.id,
                    in: turn.identity.context)
            default:
                if let line = progress.line(for: event) { write(line) }
            }
        }
        // A cancelled iteration just ends: say it was cancelled, not that it finished.
        try Task.checkCancellation()
    }
}

/// Prints without a newline and flushes, for streamed tokens.
func write(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// The one reader of standard input, shared by the prompt loop and a turn that asks for an
/// approval (never both at once: the loop waits while a turn runs).
actor LineReader {
    private var iterator: AsyncStream<String>.AsyncIterator

    init(_ lines: AsyncStream<String>) { iterator = lines.makeAsyncIterator() }

    func next() async -> String? {
        var current = iterator
        defer { iterator = current }
        return await current.next(isolation: self)
    }
}

/// Lines from standard input, read on a dedicated thread so no concurrency thread blocks.
enum StandardInputLines {
    static func stream() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        let thread = Thread {
            while let line = readLine(strippingNewline: true) {
                continuation.yield(line)
            }
            continuation.finish()
        }
        thread.start()
        return stream
    }
}

/// Turns Ctrl-C into "cancel the running answer"; when no answer runs it prints a hint.
///
/// `@unchecked Sendable`: the dispatch source is thread-safe and only set up in `init`; the
/// running task sits behind a mutex.
final class InterruptRelay: @unchecked Sendable {
    private let running = Mutex<Task<Void, any Error>?>(nil)
    private let source: any DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        // The relay lives as long as the chat; the handler keeps it alive on purpose.
        source.setEventHandler { [self] in
            let task = running.withLock { $0 }
            if let task {
                task.cancel()
            } else {
                write("\n(use /exit or Ctrl-D to quit)\n> ")
            }
        }
        source.resume()
    }

    func whileRunning(_ task: Task<Void, any Error>) { running.withLock { $0 = task } }
    func idle() { running.withLock { $0 = nil } }
}
