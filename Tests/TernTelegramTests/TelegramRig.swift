import AsyncHTTPClient
import Foundation
import Logging
import Synchronization
import TernAgent
import TernCore
import TernStore
import TernTelegram
import TernTesting

/// A model that answers "Echo: <last user message>", or what `reply` makes of it; a message
/// containing "slow" waits until `release` is opened.
struct EchoModel: ModelProvider {
    let release = OneShotSignal()
    var reply: @Sendable (String) -> String = { "Echo: \($0)" }
    /// Stream the answer word by word instead of in one piece.
    var inPieces = false

    func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        ChatCompletion(content: reply(request.messages.last?.content ?? ""))
    }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let input = request.messages.last(where: { $0.role == .user })?.content ?? ""
        let release = release
        let answer = reply(input)
        let pieces =
            inPieces
            ? answer.split(separator: " ", omittingEmptySubsequences: false).enumerated().map {
                $0.offset == 0 ? String($0.element) : " " + $0.element
            } : [answer]
        return AsyncThrowingStream { continuation in
            let task = Task {
                if input.contains("slow") { await release.wait() }
                if Task.isCancelled { return continuation.finish(throwing: CancellationError()) }
                for piece in pieces { continuation.yield(.content(piece)) }
                continuation.yield(.finished(ChatCompletion(content: answer, finishReason: "stop")))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func models() async throws -> [ModelInfo] { [] }
    func embed(_ inputs: [String], model: String?) async throws -> [[Float]] { [] }
}

/// A Telegram bot wired to a fake Bot API, a temporary SQLite database and a model.
struct TelegramRig {
    let fake: FakeTelegramServer
    let database: SQLiteDatabase
    let tenants: SQLTenantStore
    let conversations: RecordingConversationStore
    let channels: SQLChannelStore
    let agent: AgentService
    let http: HTTPClient
    let settings: TelegramSettings
    /// Telegram users who talk as the local user without a link.
    let allowedUsers: Set<Int64>
    /// The waits the bot's Bot API retries asked for; nothing really waits.
    let sleeps = SleepRecorder()

    static func run(
        model: any ModelProvider = EchoModel(), tooling: ((SQLiteDatabase, SQLTenantStore) -> AgentTooling)? = nil,
        allowedUsers: Set<Int64> = [],
        settings: TelegramSettings = TelegramSettings(pollTimeout: 5, editInterval: .seconds(3600)),
        _ body: (TelegramRig) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-tg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
        let database = try await SQLiteDatabase.open(path: directory.appendingPathComponent("t.sqlite").path)
        try await Migrator(database: database).migrate()
        let tenants = SQLTenantStore(database: database)
        let conversations = RecordingConversationStore(SQLConversationStore(database: database))
        var logger = Logger(label: "tern.test.telegram")
        logger.logLevel = .critical
        let agent = AgentService(
            store: conversations, model: model, settings: AgentSettings(model: "m"),
            tooling: tooling?(database, tenants), logger: logger)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await withFakeTelegram { fake in
                let rig = TelegramRig(
                    fake: fake, database: database, tenants: tenants, conversations: conversations,
                    channels: SQLChannelStore(database: database, hasher: APIKeyHasher(secretKey: Array(repeating: 1, count: 32))),
                    agent: agent, http: http, settings: settings, allowedUsers: allowedUsers)
                try await body(rig)
            }
        } catch {
            try await http.shutdown()
            try await database.close()
            throw error
        }
        try await http.shutdown()
        try await database.close()
    }

    func service() -> TelegramService {
        var logger = Logger(label: "tern.test.telegram")
        logger.logLevel = .critical
        return TelegramService(
            client: BotAPIClient(
                token: FakeTelegramServer.defaultToken, httpClient: http, baseURL: fake.baseURL,
                retry: BotAPIRetry(sleep: sleeps.sleep), logger: logger),
            channels: channels, tenants: tenants, turns: turns, settings: settings, logger: logger)
    }

    /// The gateway the bot's turns go through, its resolver knowing the rig's links and allow-list.
    var turns: TurnGateway {
        let hasher = APIKeyHasher(secretKey: Array(repeating: 1, count: 32))
        let identity = IdentityResolver(
            tenants: tenants, keys: SQLAPIKeyStore(database: database, hasher: hasher), staticKeys: [], proxyKeys: [],
            linkedAccounts: LinkedAccounts(channels: channels, allowedTelegramUsers: allowedUsers))
        return TurnGateway(identity: identity, store: conversations, agent: agent)
    }

    /// Runs the bot while `body` runs, then cancels it.
    func withBot(_ body: () async throws -> Void) async throws {
        let bot = service()
        let task = Task { try await bot.run() }
        do {
            try await body()
        } catch {
            task.cancel()
            _ = await task.result
            throw error
        }
        task.cancel()
        _ = await task.result
    }

    /// A Tern user linked to Telegram user `telegramUser` through a real link code.
    func linkedUser(_ email: String, telegramUser: Int64, chat: Int64) async throws -> User {
        let (user, _) = try await tenants.provisionUser(email: email, displayName: email, role: .user)
        let code = try await channels.createLinkCode(for: user.id, expiresAt: Date().addingTimeInterval(600))
        let before = fake.sentMessages(chatID: chat).count
        fake.sendText(chatID: chat, from: telegramUser, text: "/start \(code)")
        await fake.waitForSentMessages(chatID: chat, count: before + 1)
        return user
    }
}
