import Foundation
import Synchronization
import TernCore

/// Chats, messages, callback queries and the record of what the bot did.
extension FakeTelegramState {
    /// A Bot API error answer: HTTP status (= `error_code`) and description.
    struct Rejection: Error {
        var code: Int
        var description: String
    }

    /// Queues a `message` update from a user; returns the update ID.
    func addUserMessage(chatID: Int64, userID: Int64, username: String?, text: String) -> Int64 {
        var from: [String: JSONValue] = [
            "id": .number(Double(userID)), "is_bot": .bool(false), "first_name": .string("User \(userID)"),
        ]
        if let username { from["username"] = .string(username) }
        return enqueue(kind: "message") { _, state in
            let message = StoredMessage(fromBot: false, from: .object(from), text: text)
            let id = Self.append(message, chatID: chatID, in: &state)
            return Self.json(message, id: id, chatID: chatID)
        }
    }

    /// Queues a `callback_query` update for a button press; returns the query ID.
    func addButtonPress(chatID: Int64, userID: Int64, messageID: Int64, data: String) -> String {
        let queryID = shared.withLock { state in
            state.nextCallbackID += 1
            state.openCallbacks.insert("cbq-\(state.nextCallbackID)")
            return "cbq-\(state.nextCallbackID)"
        }
        enqueue(kind: "callback_query") { _, state in
            var query: [String: JSONValue] = [
                "id": .string(queryID), "chat_instance": .string("chat-\(chatID)"), "data": .string(data),
                "from": .object([
                    "id": .number(Double(userID)), "is_bot": .bool(false), "first_name": .string("User \(userID)"),
                ]),
            ]
            // Telegram leaves `message` out when it no longer knows the message.
            if let message = state.chats[chatID]?.messages[messageID] {
                query["message"] = Self.json(message, id: messageID, chatID: chatID)
            }
            return .object(query)
        }
        return queryID
    }

    /// Stores a new bot message and returns it as Bot API JSON.
    func sendMessage(chatID: Int64, text: String, keyboard: [[FakeTelegramButton]]?) -> JSONValue {
        let (json, counter) = shared.withLock { state in
            let message = StoredMessage(fromBot: true, from: bot, text: text, keyboard: keyboard)
            let id = Self.append(message, chatID: chatID, in: &state)
            state.chats[chatID, default: ChatLog()].botMessageIDs.append(id)
            state.events.append(.sent(chatID: chatID, messageID: id, text: text, keyboard: keyboard))
            return (Self.json(message, id: id, chatID: chatID), Self.sentCounter(chatID: chatID, in: &state))
        }
        counter.increment()
        eventCount.increment()
        return json
    }

    /// Replaces the text and buttons of a bot message, or rejects the edit like Telegram.
    func editMessage(chatID: Int64, messageID: Int64, text: String, keyboard: [[FakeTelegramButton]]?) throws(Rejection)
        -> JSONValue
    {
        let result = shared.withLock { state -> Result<JSONValue, Rejection> in
            guard var message = state.chats[chatID]?.messages[messageID] else {
                return .failure(Rejection(code: 400, description: "Bad Request: message to edit not found"))
            }
            guard message.fromBot else {
                return .failure(Rejection(code: 400, description: "Bad Request: message can't be edited"))
            }
            guard message.text != text || message.keyboard != keyboard else {
                return .failure(
                    Rejection(
                        code: 400,
                        description: "Bad Request: message is not modified: specified new message content and "
                            + "reply markup are exactly the same as a current content and reply markup of the message"))
            }
            message.text = text
            message.keyboard = keyboard
            message.edits += 1
            state.chats[chatID]?.messages[messageID] = message
            state.events.append(.edited(chatID: chatID, messageID: messageID, text: text, keyboard: keyboard))
            return .success(Self.json(message, id: messageID, chatID: chatID))
        }
        let json = try result.get()
        eventCount.increment()
        return json
    }

    /// Records a chat action.
    func chatAction(chatID: Int64, action: String) {
        shared.withLock { $0.events.append(.chatAction(chatID: chatID, action: action)) }
        eventCount.increment()
    }

    /// Answers an open callback query once; a second answer or an unknown ID is rejected.
    func answerCallback(id: String, text: String?) throws(Rejection) {
        let known = shared.withLock { state in
            guard state.openCallbacks.remove(id) != nil else { return false }
            state.events.append(.callbackAnswered(id: id, text: text))
            return true
        }
        guard known else {
            throw Rejection(
                code: 400, description: "Bad Request: query is too old and response timeout expired or query ID is invalid")
        }
        eventCount.increment()
    }

    /// The bot's messages in `chatID`, in the order sent, as they stand now.
    func botMessages(chatID: Int64) -> [FakeTelegramMessage] {
        shared.withLock { state in
            guard let chat = state.chats[chatID] else { return [] }
            return chat.botMessageIDs.compactMap { id in
                chat.messages[id].map {
                    FakeTelegramMessage(messageID: id, text: $0.text, keyboard: $0.keyboard, edits: $0.edits)
                }
            }
        }
    }

    var events: [FakeTelegramEvent] { shared.withLock { $0.events } }

    /// Counts the bot messages sent to `chatID`.
    func sentCounter(chatID: Int64) -> FakeLLMCounter {
        shared.withLock { Self.sentCounter(chatID: chatID, in: &$0) }
    }

    private static func sentCounter(chatID: Int64, in state: inout Shared) -> FakeLLMCounter {
        if let counter = state.sentCounters[chatID] { return counter }
        let counter = FakeLLMCounter()
        if state.stopped { counter.close() }
        state.sentCounters[chatID] = counter
        return counter
    }

    private static func append(_ message: StoredMessage, chatID: Int64, in state: inout Shared) -> Int64 {
        var chat = state.chats[chatID] ?? ChatLog()
        chat.lastMessageID += 1
        chat.messages[chat.lastMessageID] = message
        state.chats[chatID] = chat
        return chat.lastMessageID
    }

    /// A `Message` object as the Bot API sends it.
    static func json(_ message: StoredMessage, id: Int64, chatID: Int64) -> JSONValue {
        let type = chatID > 0 ? "private" : chatID < -1_000_000_000_000 ? "supergroup" : "group"
        var json: [String: JSONValue] = [
            "message_id": .number(Double(id)), "date": .number(1_700_000_000 + Double(id)),
            "chat": .object(["id": .number(Double(chatID)), "type": .string(type)]),
            "from": message.from, "text": .string(message.text),
        ]
        if let keyboard = message.keyboard { json["reply_markup"] = FakeTelegramButton.markup(keyboard) }
        if message.edits > 0 { json["edit_date"] = .number(1_700_000_000 + Double(id) + Double(message.edits)) }
        return .object(json)
    }
}
