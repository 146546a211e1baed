import Foundation
import Logging
import SQLKit
import ServiceLifecycle
import TernStore
import Testing
import TernAgent
import TernCore
import TernTelegram
import TernTesting

/// Polling under a slow model, graceful shutdown during a long poll, and state kept across a restart.
@Suite(.timeLimit(.minutes(1))) struct TelegramDurabilityTests {
    /// Stands in for a model that takes 6 s: "slow" turns wait on a gate the test opens.
    @Test func slowTurn_andAMessageQueuedBehindIt_keepOneLongPoll_andNothingIsHandledTwice() async throws {
        let model = EchoModel()
        try await TelegramRig.run(model: model) { rig in
            try await rig.withBot {
                _ = try await rig.linkedUser("a@example.com", telegramUser: 1, chat: 10)
                _ = try await rig.linkedUser("b@example.com", telegramUser: 2, chat: 20)
                let before = rig.fake.requests(method: "getUpdates").count
                rig.fake.sendText(chatID: 10, from: 1, text: "slow question")
                let behind = rig.fake.sendText(chatID: 10, from: 1, text: "queued behind")
                // Both are confirmed while the turn still waits on the model; a bot that polls
                // again and again instead gets there first with the request count.
                await firstOf(
                    { await rig.fake.waitForConfirmation(of: behind) },
                    { await rig.fake.waitForRequests(method: "getUpdates", count: before + 20) })
                #expect(rig.fake.requests(method: "getUpdates").count - before <= 3)

                let other = rig.fake.sendText(chatID: 20, from: 2, text: "other chat")
                await rig.fake.waitForSentMessages(chatID: 20, count: 2)
                await firstOf(
                    { await rig.fake.waitForConfirmation(of: other) },
                    { await rig.fake.waitForRequests(method: "getUpdates", count: before + 20) })
                #expect(rig.fake.requests(method: "getUpdates").count - before <= 5)
                #expect(rig.fake.sentMessages(chatID: 10).count == 1)  // still only the link confirmation

                model.release.fire()
                await rig.fake.waitForSentMessages(chatID: 10, count: 3)
                #expect(Array(rig.fake.sentMessages(chatID: 10).dropFirst()) == ["Echo: slow question", "Echo: queued behind"])
                #expect(try await rig.channels.queuedUpdates(channel: TelegramService.channel).isEmpty)
            }
            let stored = try await rig.database.read { db in
                try await db.raw("SELECT content FROM messages WHERE role = 'user'").all()
            }.map { try $0.decode(column: "content", as: String.self) }
            #expect(stored.filter { $0 == "slow question" }.count == 1)
            #expect(stored.filter { $0 == "queued behind" }.count == 1)
        }
    }

    /// The fake holds the poll open for 120 s, longer than the suite's time limit: only a bot that
    /// cancels its poll on a graceful shutdown returns in time.
    @Test func gracefulShutdown_cancelsTheLongPoll_andTheNextStartResumesAtTheOffset() async throws {
        let settings = TelegramSettings(pollTimeout: 120, editInterval: .seconds(3600))
        try await TelegramRig.run(allowedUsers: [7], settings: settings) { rig in
            let first = rig.fake.sendText(chatID: 7, from: 7, text: "before the stop")
            var logger = Logger(label: "tern.test.telegram.group")
            logger.logLevel = .critical
            let group = ServiceGroup(
                configuration: .init(services: [rig.service()], gracefulShutdownSignals: [], logger: logger))
            let running = Task { try await group.run() }
            await rig.fake.waitForSentMessages(chatID: 7, count: 1)
            await rig.fake.waitForConfirmation(of: first)
            await rig.fake.waitForLongPolls(count: 1)  // the poll after the confirmation is held open
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(try await rig.channels.offset(for: TelegramService.channel) == first + 1)

            let second = rig.fake.sendText(chatID: 7, from: 7, text: "while down")
            let polls = rig.fake.requests(method: "getUpdates").count
            try await rig.withBot {
                await rig.fake.waitForSentMessages(chatID: 7, count: 2)
                await rig.fake.waitForConfirmation(of: second)
            }
            let resumed = rig.fake.requests(method: "getUpdates")[polls].json?["offset"]
            #expect(resumed == .number(Double(first + 1)))
            #expect(rig.fake.sentMessages(chatID: 7) == ["Echo: before the stop", "Echo: while down"])
        }
    }

    @Test func contextChoice_survivesARestart() async throws {
        try await TelegramRig.run { rig in
            try await rig.withBot {
                let user = try await rig.linkedUser("a@example.com", telegramUser: 1, chat: 10)
                _ = try await rig.tenants.createContext(name: "team", kind: .shared, owner: user.id)
                rig.fake.sendText(chatID: 10, from: 1, text: "/context team")
                await rig.fake.waitForSentMessages(chatID: 10, count: 2)
                #expect(rig.fake.sentMessages(chatID: 10).last == "Now talking in 'team'.")
            }
            try await rig.withBot {
                rig.fake.sendText(chatID: 10, from: 1, text: "/status")
                await rig.fake.waitForSentMessages(chatID: 10, count: 3)
                #expect(rig.fake.sentMessages(chatID: 10).last?.hasPrefix("Context: team") == true)
            }
        }
    }
}

/// Runs both and returns when the first of them returns, cancelling the other.
func firstOf(_ one: @escaping @Sendable () async -> Void, _ other: @escaping @Sendable () async -> Void) async {
    await withTaskGroup(of: Void.self) { group in
        group.addTask(operation: one)
        group.addTask(operation: other)
        await group.next()
        group.cancelAll()
    }
}
