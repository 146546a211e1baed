import Foundation
import SQLKit
import TernTesting
import Testing
import TernStore

/// A Telegram message with a NUL character (U+0000) is refused with a reply, as the HTTP API
/// answers 400: PostgreSQL text cannot store it, so nothing of it reaches the store or the model.
@Suite(.timeLimit(.minutes(1))) struct TelegramNULTests {
    static let refusal =
        "Your message contains a NUL character (U+0000), which Tern cannot store. Send it again without it."

    @Test func messageWithNUL_isRefusedWithAReply_andStoresNothing() async throws {
        try await TelegramRig.run { rig in
            try await rig.withBot {
                _ = try await rig.linkedUser("a@example.com", telegramUser: 1, chat: 10)
                let messages = try await count("messages", in: rig.database)
                rig.fake.sendText(chatID: 10, from: 1, text: "hello\u{0}world")
                await rig.fake.waitForSentMessages(chatID: 10, count: 2)
                #expect(rig.fake.sentMessages(chatID: 10).last == Self.refusal)
                #expect(try await count("messages", in: rig.database) == messages)
                // The chat goes on: the next message is answered as usual.
                rig.fake.sendText(chatID: 10, from: 1, text: "hello world")
                await rig.fake.waitForSentMessages(chatID: 10, count: 3)
                #expect(rig.fake.sentMessages(chatID: 10).last == "Echo: hello world")
            }
        }
    }

    @Test func linkCodeWithNUL_isRefusedWithAReply() async throws {
        try await TelegramRig.run { rig in
            try await rig.withBot {
                rig.fake.sendText(chatID: 5, from: 50, text: "/start abc\u{0}def")
                await rig.fake.waitForSentMessages(chatID: 5, count: 1)
                #expect(rig.fake.sentMessages(chatID: 5) == [Self.refusal])
            }
        }
    }

    private func count(_ table: String, in database: SQLiteDatabase) async throws -> Int {
        let row = try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
        }
        return try #require(row).decode(column: "n", as: Int.self)
    }
}
