import Foundation
import SQLKit
import Synchronization
import TernStore
import Testing
import TernAgent
import TernCore
import TernTelegram
import TernTesting

@Suite(.timeLimit(.minutes(1))) struct TelegramServiceTests {
    @Test func linkedUser_getsAnswers_unlinkedUserOneExplanation_codesAreSingleUse() async throws {
        try await TelegramRig.run { rig in
            try await rig.withBot {
                rig.fake.sendText(chatID: 9, from: 900, text: "hello?")
                rig.fake.sendText(chatID: 9, from: 900, text: "anyone?")
                await rig.fake.waitForSentMessages(chatID: 9, count: 1)

                let (user, _) = try await rig.tenants.provisionUser(email: "ann@example.com", displayName: "Ann", role: .user)
                let code = try await rig.channels.createLinkCode(for: user.id, expiresAt: Date().addingTimeInterval(600))
                rig.fake.sendText(chatID: 1, from: 100, text: "/start \(code)")
                await rig.fake.waitForSentMessages(chatID: 1, count: 1)
                #expect(rig.fake.sentMessages(chatID: 1).first?.hasPrefix("Linked to Ann.") == true)
                rig.fake.sendText(chatID: 1, from: 100, text: "hi there")
                await rig.fake.waitForSentMessages(chatID: 1, count: 2)
                #expect(rig.fake.sentMessages(chatID: 1).last == "Echo: hi there")

                rig.fake.sendText(chatID: 2, from: 200, text: "/start \(code)")  // the same code again
                await rig.fake.waitForSentMessages(chatID: 2, count: 1)
                #expect(rig.fake.sentMessages(chatID: 2) == ["That code is unknown, used or expired."])
                // The unlinked user heard one explanation for two messages, and nothing else.
                #expect(rig.fake.sentMessages(chatID: 9).count == 1)
                #expect(rig.fake.sentMessages(chatID: 9).first?.contains("/start <code>") == true)
            }
        }
    }

    @Test func oneChatKeepsOrder_whileAnotherChatProceeds() async throws {
        let model = EchoModel()
        try await TelegramRig.run(model: model) { rig in
            try await rig.withBot {
                _ = try await rig.linkedUser("a@example.com", telegramUser: 1, chat: 10)
                _ = try await rig.linkedUser("b@example.com", telegramUser: 2, chat: 20)
                for text in ["slow 1", "two", "three", "four", "five"] { rig.fake.sendText(chatID: 10, from: 1, text: text) }
                rig.fake.sendText(chatID: 20, from: 2, text: "other chat")
                await rig.fake.waitForSentMessages(chatID: 20, count: 2)  // answered while chat 10 waits
                #expect(rig.fake.sentMessages(chatID: 10).count == 1)  // only the link confirmation
                model.release.fire()
                await rig.fake.waitForSentMessages(chatID: 10, count: 6)
                #expect(
                    Array(rig.fake.sentMessages(chatID: 10).dropFirst()) == [
                        "Echo: slow 1", "Echo: two", "Echo: three", "Echo: four", "Echo: five",
                    ])
            }
        }
    }

    @Test func longAnswers_areSplit_andSpecialCharactersArriveIntact() async throws {
        let special = #"*bold* _it_ `code` [x](http://y) <b>&amp; \ # + - = | { } . ! > ~"#
        let model = EchoModel(reply: { $0 == "long" ? String(repeating: "word ", count: 2000) : special })
        try await TelegramRig.run(model: model) { rig in
            try await rig.withBot {
                _ = try await rig.linkedUser("a@example.com", telegramUser: 1, chat: 10)
                rig.fake.sendText(chatID: 10, from: 1, text: "long")
                await rig.fake.waitForSentMessages(chatID: 10, count: 4)
                let pieces = Array(rig.fake.sentMessages(chatID: 10).dropFirst())
                #expect(pieces.count == 3)
                #expect(pieces.allSatisfy { $0.utf16.count <= 4096 })
                #expect(pieces.joined(separator: " ") == String(repeating: "word ", count: 2000).trimmingCharacters(in: .whitespaces))
                rig.fake.sendText(chatID: 10, from: 1, text: "special")
                await rig.fake.waitForSentMessages(chatID: 10, count: 5)
                #expect(rig.fake.sentMessages(chatID: 10).last == special)
            }
        }
    }

    @Test func rateLimit_isWaitedOut_andTheMessageArrives() async throws {
        try await TelegramRig.run { rig in
            try await rig.withBot {
                _ = try await rig.linkedUser("a@example.com", telegramUser: 1, chat: 10)
                rig.fake.failNext(method: "sendMessage", status: 429, retryAfter: 3)
                rig.fake.sendText(chatID: 10, from: 1, text: "after the limit")
                await rig.fake.waitForSentMessages(chatID: 10, count: 2)
                #expect(rig.fake.sentMessages(chatID: 10).last == "Echo: after the limit")
                #expect(rig.sleeps.delays == [.seconds(3)], "the retry waits what retry_after asked for")
            }
        }
    }

    @Test func restartMidTurn_neitherLosesNorRepeatsAnUpdate() async throws {
        let model = EchoModel()
        try await TelegramRig.run(model: model) { rig in
            try await rig.withBot {
                _ = try await rig.linkedUser("a@example.com", telegramUser: 1, chat: 10)
                rig.fake.sendText(chatID: 10, from: 1, text: "slow question")
                // The user message is stored before the model is called; then the bot "crashes".
                _ = await rig.conversations.next { $0.role == .user && $0.content == "slow question" }
            }
            rig.fake.sendText(chatID: 10, from: 1, text: "sent while down")
            try await rig.withBot {
                await rig.fake.waitForSentMessages(chatID: 10, count: 2)
                #expect(rig.fake.sentMessages(chatID: 10).last == "Echo: sent while down")
            }
            let stored = try await rig.database.read { db in
                try await db.raw("SELECT content FROM messages WHERE role = 'user' ORDER BY created_at").all()
            }.map { try $0.decode(column: "content", as: String.self) }
            #expect(stored.filter { $0 == "slow question" }.count == 1)  // not answered twice, not lost
            #expect(stored.filter { $0 == "sent while down" }.count == 1)
            #expect(try await rig.channels.offset(for: TelegramService.channel) ?? 0 > 2)
        }
    }
}

/// A dangerous tool that counts its calls.
final class WipeTool: Tool, Sendable {
    let spec: ToolSpec
    let calls = Mutex(0)
    init() throws { spec = try ToolSpec(name: "wipe", description: "wipes", risk: .dangerous) }
    func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        calls.withLock { $0 += 1 }
        return .text("wiped")
    }
}

struct OneToolSource: ToolSource {
    let tool: any Tool
    func tools(for context: ContextID) async throws -> [any Tool] { [tool] }
}

struct NoSkills: SkillCatalog {
    func skills(for context: ContextID) async -> [String: Skill] { [:] }
}

/// Real SQL permissions and approvals, with `tool` as the only tool.
func tooling(with tool: any Tool) -> (SQLiteDatabase, SQLTenantStore) -> AgentTooling {
    { database, tenants in
        AgentTooling(
            sources: [OneToolSource(tool: tool)], permissions: SQLToolPermissionStore(database: database),
            skills: NoSkills(),
            approvals: ApprovalCenter(store: SQLApprovalStore(database: database), pollInterval: .milliseconds(50)),
            epoch: MembershipEpoch(),
            memberRole: { user, context in try await tenants.memberships(of: user).first { $0.contextID == context }?.role })
    }
}

@Suite(.timeLimit(.minutes(1))) struct TelegramApprovalTests {
    @Test func approveButton_letsTheToolRun_aForgedPressFromANonMemberIsRefused() async throws {
        let wipe = try WipeTool()
        let model = ScriptedModelProvider(.calls(("wipe", "{}")), .text("All wiped."))
        try await TelegramRig.run(
            model: model,
            tooling: tooling(with: wipe)
        ) { rig in
            try await rig.withBot {
                _ = try await rig.linkedUser("owner@example.com", telegramUser: 1, chat: 10)
                _ = try await rig.linkedUser("eve@example.com", telegramUser: 666, chat: 66)
                rig.fake.sendText(chatID: 10, from: 1, text: "wipe it")
                await rig.fake.waitForSentMessages(chatID: 10, count: 2)
                let prompt = try #require(rig.fake.botMessages(chatID: 10).last)
                #expect(prompt.text.hasPrefix("Approval needed: run wipe"))
                let approve = try #require(prompt.keyboard?.first?.first)
                #expect(approve.text == "Approve")

                // Eve is linked but not a member of the owner's context: her press is refused.
                let forged = rig.fake.pressButton(chatID: 10, from: 666, messageID: prompt.messageID, data: approve.data)
                await rig.fake.waitForRequests(method: "answerCallbackQuery", count: 1)
                #expect(wipe.calls.withLock { $0 } == 0)
                let refusal = rig.fake.requests(method: "answerCallbackQuery").first?.json
                #expect(refusal?["callback_query_id"]?.stringValue == forged)
                #expect(refusal?["text"]?.stringValue == "You are not allowed to decide this.")

                rig.fake.pressButton(chatID: 10, from: 1, messageID: prompt.messageID, data: approve.data)
                await rig.fake.waitForSentMessages(chatID: 10, count: 3)
                #expect(wipe.calls.withLock { $0 } == 1)
                #expect(rig.fake.sentMessages(chatID: 10).last?.hasSuffix("All wiped.") == true)
            }
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct TelegramDenyTests {
    @Test func denyButton_theToolNeverRuns_andTheModelIsTold() async throws {
        let wipe = try WipeTool()
        let model = ScriptedModelProvider(.calls(("wipe", "{}")), .text("Left it alone."))
        try await TelegramRig.run(
            model: model,
            tooling: tooling(with: wipe)
        ) { rig in
            try await rig.withBot {
                _ = try await rig.linkedUser("owner@example.com", telegramUser: 1, chat: 10)
                rig.fake.sendText(chatID: 10, from: 1, text: "wipe it")
                await rig.fake.waitForSentMessages(chatID: 10, count: 2)
                let prompt = try #require(rig.fake.botMessages(chatID: 10).last)
                let deny = try #require(prompt.keyboard?.first?.last)
                #expect(deny.text == "Deny")
                rig.fake.pressButton(chatID: 10, from: 1, messageID: prompt.messageID, data: deny.data)
                await rig.fake.waitForSentMessages(chatID: 10, count: 3)
                #expect(wipe.calls.withLock { $0 } == 0)
                #expect(rig.fake.sentMessages(chatID: 10).last?.hasSuffix("Left it alone.") == true)
                #expect(rig.fake.requests(method: "answerCallbackQuery").first?.json?["text"]?.stringValue == "Denied.")
                let toolResult = model.requests.last?.messages.last
                #expect(toolResult?.role == .tool)
                #expect(toolResult?.content?.contains("denied") == true)
            }
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct TelegramDeliveryTests {
    @Test func groupChats_areIgnoredUnlessEnabled() async throws {
        try await TelegramRig.run(allowedUsers: [7], settings: TelegramSettings(pollTimeout: 5, editInterval: .seconds(3600))) { rig in
            try await rig.withBot {
                rig.fake.sendText(chatID: -100, from: 7, text: "in a group")  // negative ids are groups
                rig.fake.sendText(chatID: 7, from: 7, text: "in private")
                await rig.fake.waitForSentMessages(chatID: 7, count: 1)
                #expect(rig.fake.sentMessages(chatID: 7) == ["Echo: in private"])
                #expect(rig.fake.sentMessages(chatID: -100).isEmpty)
            }
        }
    }

    @Test func streaming_editsOneMessage_andEndsWithTheWholeAnswer() async throws {
        var model = EchoModel(reply: { _ in "first part, then the rest" })
        model.inPieces = true
        try await TelegramRig.run(
            model: model, allowedUsers: [7], settings: TelegramSettings(pollTimeout: 5, editInterval: .zero)
        ) { rig in
            try await rig.withBot {
                rig.fake.sendText(chatID: 7, from: 7, text: "go")
                // Five words stream as five pieces: one message sent, then edited four times.
                await rig.fake.waitForRequests(method: "editMessageText", count: 4)
                let messages = rig.fake.botMessages(chatID: 7)
                #expect(messages.count == 1)
                #expect(messages.first?.text == "first part, then the rest")
                #expect((messages.first?.edits ?? 0) > 0)
            }
        }
    }
}
