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
        let store = dependencies.conversations
        let identity: ResolvedIdentity
        do {
            // The terminal is the local admin's shell: it acts as the local user.
            identity = try await dependencies.identity.switchContext(
                ResolvedIdentity(user: try await localUser(), context: .defaultContext), to: contextName)
        } catch let error as IdentityError {
            throw CLIError(error.description)
        }
        let context = identity.context
        let user = ProcessInfo.processInfo.environment["USER"] ?? "local"
        let (conversation, opened) = try await store.openSession(
            in: context, platform: "cli", platformID: "\(user)/\(conversationName)")
        var session = opened
        let interrupts = InterruptRelay()
        write("tern \(TernCommand.version) · context '\(contextName)' · conversation '\(conversationName)' · /new, /exit, Ctrl-C cancels an answer\n")
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
                session = try await store.startSession(of: conversation.id, in: context)
                write("(new session)\n")
                continue
            default: break
            }
            let turn = AgentTurn(
                context: context, user: .localUser, conversation: conversation.id, session: session.id,
                input: input)
            let agent = dependencies.agent
            let task = Task {
                let progress = ProgressRenderer(verbosity: .default)
                for try await event in agent.run(turn) {
                    switch event {
                    case .content(let text):
                        write(text)
                    case .approvalRequired(let request):
                        // The terminal's user decides inline; the turn waits for the answer.
                        write(progress.line(for: event) ?? "")
                        write("Run `\(request.tool)` with \(request.arguments)? [y/N] ")
                        let answer = await lines.next()?.trimmingCharacters(in: .whitespaces).lowercased()
                        _ = try await agent.decideApproval(
                            request.id, approve: answer == "y" || answer == "yes", by: .localUser, in: context)
                    default:
                        if let line = progress.line(for: event) { write(line) }
                    }
                }
                // A cancelled iteration just ends: say it was cancelled, not that it finished.
                try Task.checkCancellation()
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
}

extension TerminalChat {
    func localUser() async throws -> User {
        guard let user = try await dependencies.tenants.user(.localUser) else {
            throw CLIError("the built-in local user is missing; run `tern migrate`")
        }
        return user
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
