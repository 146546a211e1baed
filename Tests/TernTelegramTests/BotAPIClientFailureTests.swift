import Foundation
import Logging
import Synchronization
import TernTesting
import Testing

@testable import TernTelegram

@Suite(.timeLimit(.minutes(1))) struct BotAPIClientFailureTests {
    /// Nothing listens on port 1 (AsyncHTTPClient keeps trying until its connect timeout).
    private let unreachable = "http://127.0.0.1:1"

    @Test func rateLimited_isRetriedAfterExactlyRetryAfter() async throws {
        try await withFakeTelegram { telegram in
            telegram.failNext(method: "sendMessage", status: 429, retryAfter: 2)
            let sleeps = SleepRecorder()
            let message = try await withBotClient(telegram, sleeps: sleeps) {
                try await $0.sendMessage(chatID: 42, text: "hello")
            }
            #expect(message.text == "hello")
            #expect(sleeps.delays == [.seconds(2)])
            #expect(telegram.requests(method: "sendMessage").count == 2)
            #expect(telegram.sentMessages(chatID: 42) == ["hello"])
        }
    }

    @Test func rateLimited_longRetryAfterIsCappedAtAMinute() async throws {
        try await withFakeTelegram { telegram in
            telegram.failNext(method: "getMe", status: 429, retryAfter: 3600)
            let sleeps = SleepRecorder()
            _ = try await withBotClient(telegram, sleeps: sleeps) { try await $0.getMe() }
            #expect(sleeps.delays == [.seconds(60)])
        }
    }

    @Test func rateLimited_pastTheRetries_throwsRateLimited() async throws {
        try await withFakeTelegram { telegram in
            for _ in 0..<3 { telegram.failNext(method: "sendMessage", status: 429, retryAfter: 5) }
            let sleeps = SleepRecorder()
            await #expect(throws: BotAPIError.rateLimited(retryAfter: 5, method: "sendMessage")) {
                try await withBotClient(telegram, sleeps: sleeps, maxRetries: 2) {
                    try await $0.sendMessage(chatID: 42, text: "hello")
                }
            }
            #expect(sleeps.delays == [.seconds(5), .seconds(5)])
            #expect(telegram.sentMessages(chatID: 42).isEmpty)
        }
    }

    @Test func serverError_isRetriedWithBackoff() async throws {
        try await withFakeTelegram { telegram in
            telegram.failNext(method: "sendMessage", status: 500)
            let sleeps = SleepRecorder()
            _ = try await withBotClient(telegram, sleeps: sleeps) { try await $0.sendMessage(chatID: 42, text: "hi") }
            #expect(telegram.requests(method: "sendMessage").count == 2)
            #expect(sleeps.delays.count == 1)
            #expect(sleeps.delays.allSatisfy { $0 >= .milliseconds(50) && $0 <= .milliseconds(100) })
        }
    }

    @Test func serverError_persistent_throwsApiAfterGrowingBackoff() async throws {
        try await withFakeTelegram { telegram in
            telegram.failNext(method: "getMe", status: 502)
            telegram.failNext(method: "getMe", status: 503)
            telegram.failNext(method: "getMe", status: 500, description: "Internal Server Error: restart")
            let sleeps = SleepRecorder()
            await #expect(throws: BotAPIError.api(method: "getMe", code: 500, description: "Internal Server Error: restart")) {
                try await withBotClient(telegram, sleeps: sleeps, maxRetries: 2) { try await $0.getMe() }
            }
            #expect(telegram.requests(method: "getMe").count == 3)
            let delays = sleeps.delays
            #expect(delays.count == 2)
            #expect(delays.first.map { $0 >= .milliseconds(50) && $0 <= .milliseconds(100) } == true)
            #expect(delays.last.map { $0 >= .milliseconds(100) && $0 <= .milliseconds(200) } == true)
        }
    }

    @Test func messageTooLong_isAnApiErrorAndNotRetried() async throws {
        try await withFakeTelegram { telegram in
            let sleeps = SleepRecorder()
            try await withBotClient(telegram, sleeps: sleeps) { client in
                await #expect(throws: BotAPIError.api(method: "sendMessage", code: 400, description: "Bad Request: message is too long")) {
                    try await client.sendMessage(chatID: 42, text: String(repeating: "a", count: 4097))
                }
                // Telegram counts UTF-16 code units: 2049 emoji are 4098 of them.
                await #expect(throws: BotAPIError.self) {
                    try await client.sendMessage(chatID: 42, text: String(repeating: "😀", count: 2049))
                }
                _ = try await client.sendMessage(chatID: 42, text: String(repeating: "a", count: 4096))
            }
            #expect(sleeps.delays.isEmpty)
            #expect(telegram.requests(method: "sendMessage").count == 3)
            #expect(telegram.sentMessages(chatID: 42).map(\.count) == [4096])
        }
    }

    @Test func emptyText_isRejected() async throws {
        try await withFakeTelegram { telegram in
            await #expect(throws: BotAPIError.api(method: "sendMessage", code: 400, description: "Bad Request: message text is empty")) {
                try await withBotClient(telegram) { try await $0.sendMessage(chatID: 42, text: " \n") }
            }
            #expect(telegram.events().isEmpty)
        }
    }

    @Test func wrongToken_isUnauthorizedWithoutRetry() async throws {
        try await withFakeTelegram { telegram in
            let sleeps = SleepRecorder()
            await #expect(throws: BotAPIError.unauthorized(method: "getMe")) {
                try await withBotClient(telegram, token: "987654321:wrong-token-abcdef", sleeps: sleeps) { try await $0.getMe() }
            }
            #expect(sleeps.delays.isEmpty)
            #expect(telegram.requests().map(\.tokenAccepted) == [false])
        }
    }

    @Test func garbledAnswer_isInvalidResponse() async throws {
        try await withFakeTelegram { telegram in
            telegram.garbleNext(method: "getMe")
            await #expect(throws: BotAPIError.invalidResponse(method: "getMe", reason: "the answer is not Bot API JSON")) {
                try await withBotClient(telegram) { try await $0.getMe() }
            }
        }
    }

    @Test func unexpectedResultShape_isInvalidResponseNamingTheField() async throws {
        try await withBotClient(nil) { client in
            let wrongType = Data(#"{"ok":true,"result":{"id":"seven","is_bot":true,"first_name":"B"}}"#.utf8)
            #expect(throws: BotAPIError.invalidResponse(method: "getMe", reason: "result.id is not Int64")) {
                do {
                    let _: BotAPI.User = try client.decodeAnswer(wrongType, status: 200, method: "getMe")
                } catch let failure as BotAPIAttemptFailure {
                    throw failure.error
                }
            }
            let missing = Data(#"{"ok":true,"result":[{"update_id":1,"message":{"chat":{"id":1,"type":"private"}}}]}"#.utf8)
            #expect(throws: BotAPIError.invalidResponse(method: "getUpdates", reason: "missing result[0].message.message_id")) {
                do {
                    let _: [BotAPI.Update] = try client.decodeAnswer(missing, status: 200, method: "getUpdates")
                } catch let failure as BotAPIAttemptFailure {
                    throw failure.error
                }
            }
        }
    }

    @Test func stalledCall_timesOutAsTransportAndIsRetried() async throws {
        try await withFakeTelegram { telegram in
            telegram.stallNext(method: "getMe")
            let sleeps = SleepRecorder()
            // Generous per-attempt limit: on a loaded CI machine the retry itself must not time out
            // (2 s did once, while the MCP suites were starting Python servers).
            let me = try await withBotClient(telegram, sleeps: sleeps, requestTimeout: .seconds(10)) {
                try await $0.getMe()
            }
            #expect(me.id == telegram.botID)
            #expect(sleeps.delays.count >= 1)
            telegram.stallNext(method: "getMe")
            await #expect(throws: BotAPIError.transport(method: "getMe", reason: "no answer within 500 ms")) {
                try await withBotClient(telegram, maxRetries: 0, requestTimeout: .milliseconds(500)) { try await $0.getMe() }
            }
        }
    }

    @Test func unreachableServer_isTransportAfterRetries() async throws {
        let sleeps = SleepRecorder()
        let error = await #expect(throws: BotAPIError.self) {
            try await withBotClient(nil, baseURL: unreachable, sleeps: sleeps, maxRetries: 2, connectTimeout: .milliseconds(200)) {
                try await $0.getMe()
            }
        }
        guard case .transport(let method, _) = error else {
            Issue.record("expected a transport error, got \(String(describing: error))")
            return
        }
        #expect(method == "getMe")
        #expect(sleeps.delays.count == 2)
    }

    @Test func token_appearsInNoErrorNorLogLine() async throws {
        let token = FakeTelegramServer.defaultToken
        let logs = LogRecorder()
        var errors: [BotAPIError] = []
        try await withFakeTelegram { telegram in
            telegram.failNext(method: "getMe", status: 429, retryAfter: 1)
            telegram.failNext(method: "getMe", status: 400, description: "Bad Request: no bot\(token) here")
            telegram.failNext(method: "getMe", status: 500)
            telegram.garbleNext(method: "getMe")
            try await withBotClient(telegram, logs: logs, maxRetries: 0) { client in
                for _ in 0..<4 {
                    do {
                        _ = try await client.getMe()
                    } catch let error as BotAPIError {
                        errors.append(error)
                    }
                }
                #expect("\(client)" == "BotAPIClient(\(telegram.baseURL)/bot<token>/)")
                var dumped = ""
                dump(client, to: &dumped)
                #expect(!dumped.contains(token))
            }
            try await withBotClient(telegram, token: token + "x", logs: logs) { client in
                do { _ = try await client.getMe() } catch let error as BotAPIError { errors.append(error) }
            }
        }
        try await withBotClient(
            nil, token: token, baseURL: unreachable, logs: logs, maxRetries: 1, connectTimeout: .milliseconds(200)
        ) { client in
            do { _ = try await client.getMe() } catch let error as BotAPIError { errors.append(error) }
        }
        let kinds = errors.map { error -> String in
            switch error {
            case .rateLimited: "rateLimited"
            case .api: "api"
            case .transport: "transport"
            case .invalidResponse: "invalidResponse"
            case .unauthorized: "unauthorized"
            }
        }
        #expect(kinds == ["rateLimited", "api", "api", "invalidResponse", "unauthorized", "transport"])
        #expect(errors[1].description == "Telegram answered 400 to getMe: Bad Request: no bot<token> here")
        for error in errors {
            #expect(!error.description.contains(token))
            #expect(!String(reflecting: error).contains(token))
            #expect(!error.localizedDescription.contains(token))
        }
        #expect(!logs.lines.isEmpty)
        #expect(logs.lines.contains { $0.contains("bot<token>/getMe") })
        #expect(logs.lines.allSatisfy { !$0.contains(token) && !$0.contains("123456789%3A") })
    }
}

/// Keeps every log line (message and metadata) a logger emitted.
final class LogRecorder: Sendable {
    private let recorded = Mutex<[String]>([])

    var lines: [String] { recorded.withLock { $0 } }

    var logger: Logger {
        var logger = Logger(label: "tern.telegram.api") { _ in RecordingLogHandler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ line: String) { recorded.withLock { $0.append(line) } }
}

struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        recorder.append("\(event.level) \(event.message) \(all.map { "\($0.key)=\($0.value)" }.sorted())")
    }
}
