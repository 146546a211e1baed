package import TernCore

/// One inline keyboard button as the fake received it.
package struct FakeTelegramButton: Sendable, Equatable {
    /// The label.
    package var text: String
    /// The `callback_data`.
    package var data: String

    /// Creates a button.
    package init(text: String, data: String) {
        self.text = text
        self.data = data
    }
}

/// Something the bot did through the fake, in the order the fake accepted it.
package enum FakeTelegramEvent: Sendable, Equatable {
    /// `sendMessage`: a new bot message.
    case sent(chatID: Int64, messageID: Int64, text: String, keyboard: [[FakeTelegramButton]]?)
    /// `editMessageText`: new text (and buttons, `nil` once removed) for a bot message.
    case edited(chatID: Int64, messageID: Int64, text: String, keyboard: [[FakeTelegramButton]]?)
    /// `sendChatAction`, e.g. `typing`.
    case chatAction(chatID: Int64, action: String)
    /// `answerCallbackQuery` for a button press.
    case callbackAnswered(id: String, text: String?)
}

/// A bot message as it stands now (after every edit).
package struct FakeTelegramMessage: Sendable, Equatable {
    /// Unique within its chat.
    package var messageID: Int64
    /// The current text.
    package var text: String
    /// The current buttons, if any.
    package var keyboard: [[FakeTelegramButton]]?
    /// How many times it was edited.
    package var edits: Int
}

/// One request the fake received, in arrival order (also those with a wrong token).
package struct FakeTelegramRequest: Sendable, Equatable {
    /// The API method from the path, e.g. `sendMessage`.
    package var method: String
    /// The JSON body, `nil` when there was none or it was not JSON.
    package var json: JSONValue?
    /// Whether the path carried the token the fake accepts.
    package var tokenAccepted: Bool
    /// The path segment before `bot<token>` when the client's base URL had one (e.g. `replica-a`
    /// for `http://127.0.0.1:port/replica-a`): tells several clients of one fake apart.
    package var caller: String? = nil
}

/// A scripted answer that replaces the next call of a method.
enum FakeTelegramFailure: Sendable {
    /// `{"ok": false, "error_code": status, …}` with that HTTP status.
    case status(Int, retryAfter: Int?, description: String)
    /// HTTP 200 with a body that is not JSON.
    case garbled
    /// No answer until the server stops (then a 500).
    case stall
}

extension FakeTelegramButton {
    /// The rows of `reply_markup.inline_keyboard`, `nil` when absent or malformed.
    static func rows(from markup: JSONValue?) -> [[FakeTelegramButton]]? {
        guard let rows = markup?["inline_keyboard"]?.arrayValue else { return nil }
        var result: [[FakeTelegramButton]] = []
        for row in rows {
            guard let buttons = row.arrayValue else { return nil }
            var parsed: [FakeTelegramButton] = []
            for button in buttons {
                guard let text = button["text"]?.stringValue, let data = button["callback_data"]?.stringValue else {
                    return nil
                }
                parsed.append(FakeTelegramButton(text: text, data: data))
            }
            result.append(parsed)
        }
        return result
    }

    /// The `reply_markup` JSON for `rows`.
    static func markup(_ rows: [[FakeTelegramButton]]) -> JSONValue {
        .object([
            "inline_keyboard": .array(
                rows.map { row in
                    .array(row.map { .object(["text": .string($0.text), "callback_data": .string($0.data)]) })
                })
        ])
    }
}
