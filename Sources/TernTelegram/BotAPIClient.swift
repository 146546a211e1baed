package import AsyncHTTPClient
import Foundation
package import Logging
import NIOCore

/// A Telegram Bot API client: JSON `POST`s to `<baseURL>/bot<token>/<method>`, with timeouts,
/// retries (``BotAPIRetry``) and typed errors (``BotAPIError``) that never contain the token.
///
/// The `HTTPClient` is injected and not owned: the caller shuts it down. Its own read timeout
/// must be off or longer than the longest long poll; ``httpClientConfiguration(connectTimeout:)``
/// builds a suitable one. This client enforces its limits per call.
package struct BotAPIClient: Sendable, CustomStringConvertible, CustomReflectable {
    /// Telegram's public Bot API server.
    package static let defaultBaseURL = "https://api.telegram.org"

    /// The bot token from @BotFather; only ever placed in request URLs.
    let token: String
    /// The API root without a trailing slash, e.g. `https://api.telegram.org`.
    let baseURL: String
    /// The shared client; owned by the caller.
    let httpClient: HTTPClient
    /// The longest a call may take; a long poll gets its `timeout` on top.
    let requestTimeout: Duration
    /// When and how long to wait before repeating a failed call.
    let retry: BotAPIRetry
    /// Labelled `tern.telegram.api`; never given the token or message texts.
    let logger: Logger
    /// The largest answer accepted (a `getUpdates` batch of 100 long messages is far below).
    let maxResponseBytes = 16 * 1024 * 1024

    /// Creates a client.
    /// - Parameters:
    ///   - token: The bot token; never logged or put into errors.
    ///   - httpClient: The shared HTTP client; not shut down by this type.
    ///   - baseURL: The Bot API server, e.g. a local `telegram-bot-api` or a fake in tests.
    ///   - requestTimeout: The limit on one attempt of a call; long polls get their `timeout` on top.
    ///   - retry: The retry policy; tests inject its `sleep`.
    ///   - logger: Defaults to the `tern.telegram.api` label.
    package init(
        token: String,
        httpClient: HTTPClient,
        baseURL: String = BotAPIClient.defaultBaseURL,
        requestTimeout: Duration = .seconds(30),
        retry: BotAPIRetry = BotAPIRetry(),
        logger: Logger = Logger(label: "tern.telegram.api")
    ) {
        self.token = token
        var base = baseURL.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.httpClient = httpClient
        self.requestTimeout = requestTimeout
        self.retry = retry
        self.logger = logger
    }

    /// Names the server, never the token.
    package var description: String { "BotAPIClient(\(redactedURL(method: "")))" }

    /// Keeps the token out of `dump` and debugger views.
    package var customMirror: Mirror {
        Mirror(self, children: ["baseURL": baseURL, "requestTimeout": requestTimeout], displayStyle: .struct)
    }

    /// An `HTTPClient` configuration for the shared client: the given connect timeout and no read
    /// timeout, so long polls are limited by this client only.
    package static func httpClientConfiguration(connectTimeout: Duration = .seconds(10)) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        let nanoseconds =
            connectTimeout.components.seconds * 1_000_000_000
            + connectTimeout.components.attoseconds / 1_000_000_000
        configuration.timeout = .init(connect: .nanoseconds(nanoseconds), read: nil)
        return configuration
    }

    /// The bot itself; a cheap way to check the token.
    package func getMe() async throws -> BotAPI.User {
        try await call("getMe", EmptyBody())
    }

    /// Updates with IDs from `offset` on, oldest first; passing `offset` confirms (and makes
    /// Telegram drop) every update below it. Long polling: waits up to `timeout` seconds when none
    /// is pending. `allowedUpdates` limits the kinds (`message`, `callback_query`); empty means all.
    package func getUpdates(offset: Int64?, timeout: Int, allowedUpdates: [String]) async throws -> [BotAPI.Update] {
        let seconds = max(0, timeout)
        let body = GetUpdatesBody(offset: offset, timeout: seconds, allowedUpdates: allowedUpdates)
        return try await call("getUpdates", body, timeout: requestTimeout + .seconds(seconds))
    }

    /// Sends plain text (no `parse_mode`, so no markup can be rejected), optionally with buttons.
    /// Telegram refuses empty texts and texts over 4096 UTF-16 code units with a 400.
    @discardableResult
    package func sendMessage(chatID: Int64, text: String, replyMarkup: BotAPI.InlineKeyboard? = nil)
        async throws -> BotAPI.Message
    {
        try await call("sendMessage", TextBody(chatID: chatID, messageID: nil, text: text, replyMarkup: replyMarkup))
    }

    /// Replaces the text of a message the bot sent. Without `replyMarkup` its buttons go away.
    /// Telegram answers 400 ("message is not modified") when text and buttons are unchanged.
    @discardableResult
    package func editMessageText(
        chatID: Int64, messageID: Int64, text: String, replyMarkup: BotAPI.InlineKeyboard? = nil
    ) async throws -> BotAPI.Message {
        try await call(
            "editMessageText", TextBody(chatID: chatID, messageID: messageID, text: text, replyMarkup: replyMarkup))
    }

    /// Shows `action` ("typing…") in the chat for about five seconds or until the next message.
    package func sendChatAction(chatID: Int64, action: BotAPI.ChatAction = .typing) async throws {
        let _: Bool = try await call("sendChatAction", ChatActionBody(chatID: chatID, action: action))
    }

    /// Ends the loading state of a pressed button, optionally showing `text` as a toast.
    package func answerCallbackQuery(id: String, text: String? = nil) async throws {
        let _: Bool = try await call("answerCallbackQuery", CallbackAnswerBody(callbackQueryID: id, text: text))
    }
}

/// The request bodies, in the Bot API's field names; `nil` fields are left out.
extension BotAPIClient {
    struct EmptyBody: Encodable, Sendable {}

    struct GetUpdatesBody: Encodable, Sendable {
        var offset: Int64?
        var timeout: Int
        var allowedUpdates: [String]

        enum CodingKeys: String, CodingKey {
            case offset, timeout
            case allowedUpdates = "allowed_updates"
        }
    }

    struct TextBody: Encodable, Sendable {
        var chatID: Int64
        var messageID: Int64?
        var text: String
        var replyMarkup: BotAPI.InlineKeyboard?

        enum CodingKeys: String, CodingKey {
            case chatID = "chat_id"
            case messageID = "message_id"
            case text
            case replyMarkup = "reply_markup"
        }
    }

    struct ChatActionBody: Encodable, Sendable {
        var chatID: Int64
        var action: BotAPI.ChatAction

        enum CodingKeys: String, CodingKey {
            case chatID = "chat_id"
            case action
        }
    }

    struct CallbackAnswerBody: Encodable, Sendable {
        var callbackQueryID: String
        var text: String?

        enum CodingKeys: String, CodingKey {
            case callbackQueryID = "callback_query_id"
            case text
        }
    }
}
