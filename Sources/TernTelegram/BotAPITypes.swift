import Foundation

/// The Telegram Bot API objects Tern reads and writes, as they appear on the wire (snake_case).
///
/// They live in this namespace because `Message` and `User` already name store types in TernCore;
/// unknown fields are ignored, so Telegram adding fields never breaks decoding.
package enum BotAPI {
    /// One incoming event from `getUpdates`. Tern asks only for messages and callback queries.
    package struct Update: Codable, Sendable, Equatable {
        /// Increases by one per update; the next `getUpdates` offset is the last ID + 1.
        package var updateID: Int64
        /// A new message in a chat with the bot.
        package var message: Message?
        /// A press on an inline keyboard button.
        package var callbackQuery: CallbackQuery?

        /// Creates an update (tests and fakes; the client decodes them).
        package init(updateID: Int64, message: Message? = nil, callbackQuery: CallbackQuery? = nil) {
            self.updateID = updateID
            self.message = message
            self.callbackQuery = callbackQuery
        }

        enum CodingKeys: String, CodingKey {
            case updateID = "update_id", message, callbackQuery = "callback_query"
        }
    }

    /// A chat message, sent by a user or by the bot.
    package struct Message: Codable, Sendable, Equatable {
        /// Unique within its chat.
        package var messageID: Int64
        /// Where it was sent.
        package var chat: Chat
        /// The sender; absent for messages sent on behalf of a channel.
        package var from: User?
        /// The text, for text messages.
        package var text: String?
        /// The inline keyboard under the message, if it has one.
        package var replyMarkup: InlineKeyboard?

        /// Creates a message (tests and fakes; the client decodes them).
        package init(
            messageID: Int64, chat: Chat, from: User? = nil, text: String? = nil, replyMarkup: InlineKeyboard? = nil
        ) {
            self.messageID = messageID
            self.chat = chat
            self.from = from
            self.text = text
            self.replyMarkup = replyMarkup
        }

        enum CodingKeys: String, CodingKey {
            case messageID = "message_id", chat, from, text, replyMarkup = "reply_markup"
        }
    }

    /// A private chat, group, supergroup or channel.
    package struct Chat: Codable, Sendable, Equatable {
        /// Positive for private chats, negative for groups.
        package var id: Int64
        /// `private`, `group`, `supergroup` or `channel`.
        package var type: String

        /// Creates a chat.
        package init(id: Int64, type: String) {
            self.id = id
            self.type = type
        }
    }

    /// A Telegram user or bot (`getMe` answers with the bot itself).
    package struct User: Codable, Sendable, Equatable {
        /// The stable user ID.
        package var id: Int64
        /// Whether this is a bot.
        package var isBot: Bool
        /// Always present.
        package var firstName: String
        /// The `@name`, without the `@`, if the user has one.
        package var username: String?

        /// Creates a user.
        package init(id: Int64, isBot: Bool, firstName: String, username: String? = nil) {
            self.id = id
            self.isBot = isBot
            self.firstName = firstName
            self.username = username
        }

        enum CodingKeys: String, CodingKey {
            case id, isBot = "is_bot", firstName = "first_name", username
        }
    }

    /// A button press on an inline keyboard; must be answered with `answerCallbackQuery`.
    package struct CallbackQuery: Codable, Sendable, Equatable {
        /// Passed back to `answerCallbackQuery`.
        package var id: String
        /// Who pressed.
        package var from: User
        /// The bot message the keyboard belongs to (absent when it is too old).
        package var message: Message?
        /// The `callback_data` of the button.
        package var data: String?

        /// Creates a callback query.
        package init(id: String, from: User, message: Message? = nil, data: String? = nil) {
            self.id = id
            self.from = from
            self.message = message
            self.data = data
        }
    }

    /// Buttons shown under a message; each press arrives as a ``CallbackQuery``.
    /// On the wire: `{"inline_keyboard": [[{"text": …, "callback_data": …}]]}`.
    package struct InlineKeyboard: Codable, Sendable, Equatable {
        /// One button.
        package struct Button: Codable, Sendable, Equatable {
            /// The label.
            package var text: String
            /// Sent back in ``CallbackQuery/data``; Telegram allows 1–64 bytes.
            package var callbackData: String

            /// Creates a button.
            package init(text: String, callbackData: String) {
                self.text = text
                self.callbackData = callbackData
            }

            enum CodingKeys: String, CodingKey {
                case text, callbackData = "callback_data"
            }
        }

        /// Rows of buttons, top to bottom.
        package var rows: [[Button]]

        /// Creates a keyboard from rows of buttons.
        package init(rows: [[Button]]) {
            self.rows = rows
        }

        enum CodingKeys: String, CodingKey {
            case rows = "inline_keyboard"
        }
    }

    /// What `sendChatAction` shows ("typing…") for about five seconds or until the next message.
    package struct ChatAction: RawRepresentable, Sendable, Equatable, Encodable {
        /// The wire name, e.g. `typing`.
        package var rawValue: String

        /// Wraps a wire name.
        package init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// "typing…"
        package static let typing = ChatAction(rawValue: "typing")
        /// "sending a file…"
        package static let uploadDocument = ChatAction(rawValue: "upload_document")
    }
}

/// The envelope of every Bot API answer: `{"ok": true, "result": …}` or
/// `{"ok": false, "error_code": 429, "description": "…", "parameters": {"retry_after": 3}}`.
struct BotAPIEnvelope: Decodable {
    struct Parameters: Decodable {
        var retryAfter: Int?

        enum CodingKeys: String, CodingKey {
            case retryAfter = "retry_after"
        }
    }

    var ok: Bool
    var errorCode: Int?
    var description: String?
    var parameters: Parameters?

    enum CodingKeys: String, CodingKey {
        case ok
        case errorCode = "error_code"
        case description, parameters
    }
}

/// The `result` of a successful answer, decoded once ``BotAPIEnvelope/ok`` is known to be true.
struct BotAPIResult<Value: Decodable>: Decodable {
    var result: Value
}
