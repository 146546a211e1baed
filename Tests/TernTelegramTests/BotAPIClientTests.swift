import AsyncHTTPClient
import Logging
import Synchronization
import TernCore
import TernTesting
import Testing

@testable import TernTelegram

@Suite(.timeLimit(.minutes(1))) struct BotAPIClientTests {
    @Test func getMe_returnsTheBotOfTheToken() async throws {
        try await withFakeTelegram { telegram in
            let me = try await withBotClient(telegram) { try await $0.getMe() }
            #expect(me == BotAPI.User(id: 123_456_789, isBot: true, firstName: "Tern Test Bot", username: "tern_test_bot"))
        }
    }

    @Test func getUpdates_offsetConfirmsAndDropsEarlierUpdates() async throws {
        try await withFakeTelegram { telegram in
            telegram.sendText(chatID: 42, from: 7, text: "one", username: "ada")
            telegram.sendText(chatID: 42, from: 7, text: "two")
            telegram.sendText(chatID: -100, from: 8, text: "three")
            try await withBotClient(telegram) { client in
                let all = try await client.getUpdates(offset: nil, timeout: 0, allowedUpdates: [])
                #expect(all.map(\.updateID) == [1, 2, 3])
                #expect(all.map { $0.message?.text } == ["one", "two", "three"])
                #expect(all[0].message?.from == BotAPI.User(id: 7, isBot: false, firstName: "User 7", username: "ada"))
                #expect(all[0].message?.chat == BotAPI.Chat(id: 42, type: "private"))
                #expect(all[2].message?.chat == BotAPI.Chat(id: -100, type: "group"))

                // Asking again without an offset repeats them: nothing is confirmed yet.
                #expect(try await client.getUpdates(offset: nil, timeout: 0, allowedUpdates: []).count == 3)
                let rest = try await client.getUpdates(offset: 3, timeout: 0, allowedUpdates: [])
                #expect(rest.map(\.updateID) == [3])
                #expect(telegram.pendingUpdates == 1)
                // A lower offset later does not bring confirmed updates back.
                #expect(try await client.getUpdates(offset: 1, timeout: 0, allowedUpdates: []).map(\.updateID) == [3])
                #expect(try await client.getUpdates(offset: 4, timeout: 0, allowedUpdates: []).isEmpty)
                #expect(telegram.pendingUpdates == 0)
                telegram.sendText(chatID: 42, from: 7, text: "four")
                #expect(try await client.getUpdates(offset: nil, timeout: 0, allowedUpdates: []).map(\.updateID) == [4])
            }
        }
    }

    @Test func getUpdates_allowedUpdatesLeavesOtherKindsOut() async throws {
        try await withFakeTelegram { telegram in
            telegram.sendText(chatID: 42, from: 7, text: "hi")
            telegram.pressButton(chatID: 42, from: 7, messageID: 1, data: "approve")
            let updates = try await withBotClient(telegram) {
                try await $0.getUpdates(offset: nil, timeout: 0, allowedUpdates: ["callback_query"])
            }
            #expect(updates.map(\.updateID) == [2])
            #expect(updates.first?.callbackQuery?.data == "approve")
            #expect(telegram.requests(method: "getUpdates").first?.json?["allowed_updates"] == ["callback_query"])
        }
    }

    @Test func getUpdates_longPollWakesWhenAnUpdateArrives() async throws {
        try await withFakeTelegram { telegram in
            try await withBotClient(telegram) { client in
                // A 10-minute poll: only the arriving update can end it within the time limit.
                async let updates = client.getUpdates(offset: nil, timeout: 600, allowedUpdates: [])
                await telegram.waitForLongPolls(count: 1)
                telegram.sendText(chatID: 42, from: 7, text: "wake up")
                let received = try await updates
                #expect(received.map { $0.message?.text } == ["wake up"])
            }
        }
    }

    @Test func getUpdates_longPollWithNothingArrivingAnswersEmpty() async throws {
        try await withFakeTelegram { telegram in
            let updates = try await withBotClient(telegram) {
                try await $0.getUpdates(offset: nil, timeout: 1, allowedUpdates: ["message"])
            }
            #expect(updates.isEmpty)
        }
    }

    @Test func getUpdates_cancelledLongPoll_endsAtOnceWithCancellation() async throws {
        try await withFakeTelegram { telegram in
            try await withBotClient(telegram) { client in
                let poll = Task { try await client.getUpdates(offset: nil, timeout: 600, allowedUpdates: []) }
                await telegram.waitForLongPolls(count: 1)
                poll.cancel()
                await #expect(throws: CancellationError.self) { try await poll.value }
                #expect(telegram.requests(method: "getUpdates").count == 1)
            }
        }
    }

    @Test func sendMessage_sendsPlainTextAndIsRecorded() async throws {
        try await withFakeTelegram { telegram in
            let message = try await withBotClient(telegram) {
                try await $0.sendMessage(chatID: 42, text: "*not bold* <b>nor this</b>")
            }
            #expect(message.messageID == 1)
            #expect(message.chat.id == 42)
            #expect(message.from?.isBot == true)
            #expect(message.text == "*not bold* <b>nor this</b>")
            #expect(telegram.sentMessages(chatID: 42) == ["*not bold* <b>nor this</b>"])
            let body = try #require(telegram.requests(method: "sendMessage").first?.json)
            #expect(body == ["chat_id": 42, "text": "*not bold* <b>nor this</b>"])
        }
    }

    @Test func editMessageText_sentMessagesShowsTheFinalText() async throws {
        try await withFakeTelegram { telegram in
            try await withBotClient(telegram) { client in
                let first = try await client.sendMessage(chatID: 42, text: "Thinking…")
                _ = try await client.sendMessage(chatID: 42, text: "second")
                let edited = try await client.editMessageText(chatID: 42, messageID: first.messageID, text: "Done.")
                #expect(edited.text == "Done.")
                #expect(telegram.sentMessages(chatID: 42) == ["Done.", "second"])
                #expect(telegram.botMessages(chatID: 42).map(\.edits) == [1, 0])
                let unchanged = await #expect(throws: BotAPIError.self) {
                    try await client.editMessageText(chatID: 42, messageID: first.messageID, text: "Done.")
                }
                #expect(unchanged?.description.contains("message is not modified") == true)
                let notFound = BotAPIError.api(
                    method: "editMessageText", code: 400, description: "Bad Request: message to edit not found")
                await #expect(throws: notFound) {
                    try await client.editMessageText(chatID: 42, messageID: 99, text: "x")
                }
            }
        }
    }

    @Test func buttons_pressArrivesAsCallbackQueryAndIsAnsweredOnce() async throws {
        try await withFakeTelegram { telegram in
            try await withBotClient(telegram) { client in
                let keyboard = BotAPI.InlineKeyboard(rows: [
                    [
                        .init(text: "Approve", callbackData: "approve:1"), .init(text: "Deny", callbackData: "deny:1"),
                    ]
                ])
                let sent = try await client.sendMessage(chatID: 42, text: "Run git clone?", replyMarkup: keyboard)
                #expect(sent.replyMarkup == keyboard)
                let queryID = telegram.pressButton(chatID: 42, from: 7, messageID: sent.messageID, data: "approve:1")
                let query = try #require(try await client.getUpdates(offset: nil, timeout: 5, allowedUpdates: []).first?.callbackQuery)
                #expect(query.id == queryID)
                #expect(query.data == "approve:1")
                #expect(query.from.id == 7)
                #expect(query.message?.messageID == sent.messageID)
                #expect(query.message?.replyMarkup == keyboard)

                try await client.answerCallbackQuery(id: query.id, text: "Approved")
                _ = try await client.editMessageText(chatID: 42, messageID: sent.messageID, text: "Approved ✓")
                #expect(telegram.botMessages(chatID: 42).first?.keyboard == nil)  // no markup: buttons removed
                await #expect(throws: BotAPIError.self) { try await client.answerCallbackQuery(id: query.id) }
            }
            let buttons = [[FakeTelegramButton(text: "Approve", data: "approve:1"), FakeTelegramButton(text: "Deny", data: "deny:1")]]
            #expect(
                telegram.events() == [
                    .sent(chatID: 42, messageID: 1, text: "Run git clone?", keyboard: buttons),
                    .callbackAnswered(id: "cbq-1", text: "Approved"),
                    .edited(chatID: 42, messageID: 1, text: "Approved ✓", keyboard: nil),
                ])
        }
    }

    @Test func sendChatAction_isRecordedInOrder() async throws {
        try await withFakeTelegram { telegram in
            try await withBotClient(telegram) { client in
                try await client.sendChatAction(chatID: 42)
                _ = try await client.sendMessage(chatID: 42, text: "hi")
                let wrongAction = BotAPIError.api(
                    method: "sendChatAction", code: 400, description: "Bad Request: wrong parameter action in request")
                await #expect(throws: wrongAction) {
                    try await client.sendChatAction(chatID: 42, action: .init(rawValue: "dancing"))
                }
            }
            #expect(
                telegram.events() == [
                    .chatAction(chatID: 42, action: "typing"), .sent(chatID: 42, messageID: 1, text: "hi", keyboard: nil),
                ])
        }
    }

    @Test func waitForSentMessages_returnsOnceTheBotHasSentThem() async throws {
        try await withFakeTelegram { telegram in
            try await withBotClient(telegram) { client in
                async let sending: Void = {
                    for index in 1...3 { _ = try await client.sendMessage(chatID: 5, text: "part \(index)") }
                }()
                await telegram.waitForSentMessages(chatID: 5, count: 3)
                #expect(telegram.sentMessages(chatID: 5) == ["part 1", "part 2", "part 3"])
                try await sending
            }
        }
    }
}

/// Records retry delays instead of sleeping them.
final class SleepRecorder: Sendable {
    private let recorded = Mutex<[Duration]>([])

    var delays: [Duration] { recorded.withLock { $0 } }

    var sleep: BotAPIRetry.Sleep {
        { delay in self.recorded.withLock { $0.append(delay) } }
    }
}

/// Runs `body` with a client for `fake` (or `baseURL`) on its own `HTTPClient`, shut down afterwards.
func withBotClient<T>(
    _ fake: FakeTelegramServer?, token: String? = nil, baseURL: String? = nil, sleeps: SleepRecorder = SleepRecorder(),
    logs: LogRecorder? = nil, maxRetries: Int = 2, requestTimeout: Duration = .seconds(10),
    connectTimeout: Duration = .seconds(5), _ body: (BotAPIClient) async throws -> T
) async throws -> T {
    let httpClient = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: BotAPIClient.httpClientConfiguration(connectTimeout: connectTimeout))
    var quiet = Logger(label: "tern.telegram.api")
    quiet.logLevel = .error  // retries log warnings; keep test output readable
    let client = BotAPIClient(
        token: token ?? fake?.token ?? FakeTelegramServer.defaultToken, httpClient: httpClient,
        baseURL: baseURL ?? fake?.baseURL ?? BotAPIClient.defaultBaseURL, requestTimeout: requestTimeout,
        retry: BotAPIRetry(maxRetries: maxRetries, baseDelay: .milliseconds(100), sleep: sleeps.sleep),
        logger: logs?.logger ?? quiet)
    do {
        let result = try await body(client)
        try await httpClient.shutdown()
        return result
    } catch {
        try await httpClient.shutdown()
        throw error
    }
}
