// Benchmarks the Telegram channel: updates answered per second through the fake Bot API, an
// instant model and a SQLite database, for many chats at once. Prints one line per run.
import AsyncHTTPClient
import Foundation
import Logging
import TernAgent
import TernCore
import TernStore
import TernTelegram
import TernTesting

/// Answers at once, so the numbers are Tern's (and the fake Bot API's) own work.
struct InstantModel: ModelProvider {
    func complete(_ request: ChatRequest) async throws -> ChatCompletion { ChatCompletion(content: "ok") }
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        AsyncThrowingStream { continuation in
            continuation.yield(.content("ok"))
            continuation.yield(.finished(ChatCompletion(content: "ok", finishReason: "stop")))
            continuation.finish()
        }
    }
    func models() async throws -> [ModelInfo] { [] }
    func embed(_ inputs: [String], model: String?) async throws -> [[Float]] { [] }
}

/// A logger that stays silent, so the output is the numbers.
func quietLogger() -> Logger {
    var logger = Logger(label: "tern.bench.telegram")
    logger.logLevel = .critical
    return logger
}

func run(chats: Int, messagesPerChat: Int, concurrency: Int) async throws {
    let quiet = quietLogger()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-bench-tg-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
    let database = try await SQLiteDatabase.open(path: directory.appendingPathComponent("t.sqlite").path)
    try await Migrator(database: database, logger: quiet).migrate()
    let conversations = SQLConversationStore(database: database)
    let agent = AgentService(
        store: conversations, model: InstantModel(), settings: AgentSettings(model: "m"), logger: quiet)
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: BotAPIClient.httpClientConfiguration())
    try await withFakeTelegram(logger: quiet) { fake in
        let users = Set((1...Int64(chats)).map { $0 })
        let channels = SQLChannelStore(database: database, hasher: APIKeyHasher(secretKey: Array(repeating: 1, count: 32)))
        let tenants = SQLTenantStore(database: database)
        let identity = IdentityResolver(
            tenants: tenants, keys: SQLAPIKeyStore(database: database, hasher: APIKeyHasher(secretKey: Array(repeating: 1, count: 32))),
            staticKeys: [], proxyKeys: [], linkedAccounts: LinkedAccounts(channels: channels, allowedTelegramUsers: users),
            logger: quiet)
        let bot = TelegramService(
            client: BotAPIClient(token: fake.token, httpClient: http, baseURL: fake.baseURL, logger: quiet),
            channels: channels, tenants: tenants,
            turns: TurnGateway(identity: identity, store: conversations, agent: agent),
            settings: TelegramSettings(pollTimeout: 1, maxConcurrentChats: concurrency, streamEdits: false),
            logger: quiet)
        for round in 0..<messagesPerChat {
            for chat in 1...Int64(chats) { fake.sendText(chatID: chat, from: chat, text: "message \(round)") }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let task = Task { try await bot.run() }
        for chat in 1...Int64(chats) { await fake.waitForSentMessages(chatID: chat, count: messagesPerChat) }
        let elapsed = clock.now - start
        task.cancel()
        _ = await task.result
        let total = chats * messagesPerChat
        let seconds = elapsed.timeInterval
        print(
            "\(chats) chats × \(messagesPerChat) messages, \(concurrency) chats at once: \(total) updates in "
                + String(format: "%.2f s = %.0f updates/s (%.2f ms each)", seconds, Double(total) / seconds, seconds * 1000 / Double(total))
        )
    }
    try await http.shutdown()
    try await database.close()
}

try await run(chats: 1000, messagesPerChat: 1, concurrency: 16)
try await run(chats: 1000, messagesPerChat: 1, concurrency: 64)
try await run(chats: 100, messagesPerChat: 10, concurrency: 16)
