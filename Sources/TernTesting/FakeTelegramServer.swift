import Foundation
import Hummingbird
package import Logging
import TernCore

/// A fake Telegram Bot API on a real loopback port, for tests of the Telegram channel.
///
/// It answers `POST /bot<token>/<method>` like Telegram: `getMe`, `getUpdates` (offsets confirm
/// and drop updates; long polls wait for the next update), `sendMessage` (400 for empty texts or
/// texts over 4096 UTF-16 code units), `editMessageText`, `sendChatAction` and
/// `answerCallbackQuery`. A wrong token gets 401. Tests play the users with ``sendText(chatID:from:text:username:)``
/// and ``pressButton(chatID:from:messageID:data:)``, script failures with
/// ``failNext(method:status:retryAfter:description:)``, and read what the bot did from
/// ``sentMessages(chatID:)`` and ``events()``.
///
/// ```swift
/// try await withFakeTelegram { telegram in
///     telegram.sendText(chatID: 42, from: 7, text: "hello")
///     // run the bot against telegram.baseURL with telegram.token …
///     await telegram.waitForSentMessages(chatID: 42, count: 1)
/// }
/// ```
package final class FakeTelegramServer: Sendable {
    /// The token the fake accepts unless another is given; the bot's ID is the part before `:`.
    package static let defaultToken = "123456789:AAE-fake-tern-test-token_0123456789"

    /// The token requests must carry in their path.
    package let token: String
    /// The port the OS chose (or the one asked for).
    package var port: Int { server.port }
    /// The host the server listens on.
    package var host: String { server.host }
    let state: FakeTelegramState
    private let server: FakeHTTPServer

    /// The API root to give the client, e.g. `http://127.0.0.1:54321` (no `/bot…` part).
    package var baseURL: String { "http://\(host):\(port)" }

    private init(token: String, state: FakeTelegramState, server: FakeHTTPServer) {
        self.token = token
        self.state = state
        self.server = server
    }

    /// A quiet logger (warnings and up), so test output stays readable.
    package static func defaultLogger() -> Logger {
        var logger = Logger(label: "tern.testing.fake-telegram")
        logger.logLevel = .warning
        return logger
    }

    /// Starts a server and returns once it accepts connections. Port 0 lets the OS choose one.
    package static func start(
        token: String = FakeTelegramServer.defaultToken, botUsername: String = "tern_test_bot",
        host: String = "127.0.0.1", port: Int = 0, logger: Logger = FakeTelegramServer.defaultLogger()
    ) async throws -> FakeTelegramServer {
        let botID = Int64(token.prefix { $0 != ":" }) ?? 123_456_789
        let state = FakeTelegramState(botID: botID, username: botUsername)
        let router = Router(context: BasicRequestContext.self)
        FakeTelegramRoutes(state: state, token: token, logger: logger).register(on: router)

        let server = try await FakeHTTPServer.start(
            router: router, host: host, port: port, serverName: "tern-fake-telegram", logger: logger,
            onStop: { state.stop() })
        return FakeTelegramServer(token: token, state: state, server: server)
    }

    /// The bot's user ID (the part of the token before `:`), as `getMe` reports it.
    package var botID: Int64 { Int64(token.prefix { $0 != ":" }) ?? 123_456_789 }

    /// A user writes `text` to the bot in `chatID`: queues a `message` update (update IDs count up
    /// from 1) and wakes a waiting long poll. Returns the update ID.
    @discardableResult
    package func sendText(chatID: Int64, from userID: Int64, text: String, username: String? = nil) -> Int64 {
        state.addUserMessage(chatID: chatID, userID: userID, username: username, text: text)
    }

    /// A user presses the button with `data` under message `messageID`: queues a `callback_query`
    /// update (with the message as it stands now, if it exists). Returns the callback query ID,
    /// which the bot must answer once.
    @discardableResult
    package func pressButton(chatID: Int64, from userID: Int64, messageID: Int64, data: String) -> String {
        state.addButtonPress(chatID: chatID, userID: userID, messageID: messageID, data: data)
    }

    /// Updates queued and not yet confirmed by an offset.
    package var pendingUpdates: Int { state.pendingUpdates }

    /// The next call of `method` fails with `status` (`error_code` too) instead of running;
    /// `retryAfter` adds `parameters.retry_after`. Calls are scripted in FIFO order per method.
    package func failNext(method: String, status: Int, retryAfter: Int? = nil, description: String? = nil) {
        let text = description ?? Self.defaultDescription(status: status, retryAfter: retryAfter)
        state.addFailure(.status(status, retryAfter: retryAfter, description: text), method: method)
    }

    /// The next call of `method` gets HTTP 200 with an HTML body instead of Bot API JSON.
    package func garbleNext(method: String) {
        state.addFailure(.garbled, method: method)
    }

    /// The next call of `method` gets no answer until the server stops, for timeout tests.
    package func stallNext(method: String) {
        state.addFailure(.stall, method: method)
    }

    /// The final text (after edits) of each message the bot sent to `chatID`, in order.
    package func sentMessages(chatID: Int64) -> [String] {
        state.botMessages(chatID: chatID).map(\.text)
    }

    /// The bot's messages in `chatID` with their current buttons and edit counts.
    package func botMessages(chatID: Int64) -> [FakeTelegramMessage] {
        state.botMessages(chatID: chatID)
    }

    /// Everything the bot did (sent, edited, chat actions, callback answers), in order.
    package func events() -> [FakeTelegramEvent] {
        state.events
    }

    /// Every request received so far, including failed and unauthorised ones.
    package func requests(method: String? = nil) -> [FakeTelegramRequest] {
        state.requests.filter { method == nil || $0.method == method }
    }

    /// Returns once the bot has sent `count` messages to `chatID` (or the server stopped).
    package func waitForSentMessages(chatID: Int64, count: Int) async {
        await state.sentCounter(chatID: chatID).wait(atLeast: count)
    }

    /// Returns once `count` events were recorded (or the server stopped).
    package func waitForEvents(count: Int) async {
        await state.eventCount.wait(atLeast: count)
    }

    /// Returns once `count` calls of `method` arrived (or the server stopped).
    package func waitForRequests(method: String, count: Int) async {
        await state.requestCounter(method: method).wait(atLeast: count)
    }

    /// Returns once `count` `getUpdates` calls found nothing pending and began to wait.
    package func waitForLongPolls(count: Int) async {
        await state.parkedPolls.wait(atLeast: count)
    }

    /// How many `getUpdates` calls found nothing pending and began to wait, so far.
    package var longPolls: Int { state.parkedPolls.value }

    /// Returns once a `getUpdates` offset has confirmed update `updateID` (Telegram then drops
    /// it and never sends it again), or the server stopped, or the waiting task is cancelled.
    package func waitForConfirmation(of updateID: Int64) async {
        await state.confirmed.wait(atLeast: Int(updateID))
    }

    /// Stops the server: long polls end at once, then a graceful shutdown, then (after a few
    /// seconds) cancellation. Safe to call more than once.
    package func stop() async {
        await server.stop()
    }

    private static func defaultDescription(status: Int, retryAfter: Int?) -> String {
        switch status {
        case 429: "Too Many Requests: retry after \(retryAfter ?? 1)"
        case 400: "Bad Request"
        case 403: "Forbidden: bot was blocked by the user"
        case 409: "Conflict: terminated by other getUpdates request"
        case 500..<600: "Internal Server Error"
        default: "Error \(status)"
        }
    }
}

/// Runs `body` with a started ``FakeTelegramServer`` and always stops it afterwards.
package func withFakeTelegram<T>(
    token: String = FakeTelegramServer.defaultToken, logger: Logger = FakeTelegramServer.defaultLogger(),
    _ body: (FakeTelegramServer) async throws -> T
) async throws -> T {
    let server = try await FakeTelegramServer.start(token: token, logger: logger)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
