import Foundation
import Synchronization
import Testing
import TernAgent
import TernCore
import TernStore
import TernTesting

@testable import TernTelegram

/// Issue 17's RBAC on the Telegram channel: a viewer of the approval's context presses the
/// button and is refused, naming the role; the same press from a member of the context works.
@Suite(.timeLimit(.minutes(1))) struct TelegramViewerApprovalTests {
    @Test func approveButton_pressedByAViewer_isRefusedNamingTheRole_andTheToolWaits() async throws {
        let wipe = try WipeTool()
        let model = ScriptedModelProvider(.calls(("wipe", "{}")), .text("All wiped."))
        try await TelegramRig.run(model: model, tooling: tooling(with: wipe)) { rig in
            try await rig.withBot {
                let member = try await rig.linkedUser("member@example.com", telegramUser: 1, chat: 10)
                let viewer = try await rig.linkedUser("viewer@example.com", telegramUser: 2, chat: 20)
                let team = try await rig.tenants.createContext(name: "team", kind: .shared, owner: nil)
                _ = try await rig.tenants.addMember(member.id, to: team.id, role: .member)
                _ = try await rig.tenants.addMember(viewer.id, to: team.id, role: .viewer)
                _ = try await rig.tenants.setDefaultContext(team.id, of: member.id)
                _ = try await rig.tenants.setDefaultContext(team.id, of: viewer.id)

                rig.fake.sendText(chatID: 10, from: 1, text: "wipe it")
                await rig.fake.waitForSentMessages(chatID: 10, count: 2)
                let prompt = try #require(rig.fake.botMessages(chatID: 10).last)
                let approve = try #require(prompt.keyboard?.first?.first)

                rig.fake.pressButton(chatID: 10, from: 2, messageID: prompt.messageID, data: approve.data)
                await rig.fake.waitForRequests(method: "answerCallbackQuery", count: 1)
                #expect(wipe.calls.withLock { $0 } == 0)
                #expect(
                    rig.fake.requests(method: "answerCallbackQuery").first?.json?["text"]?.stringValue
                        == "You cannot decide this: a viewer of this context cannot approve or deny; ask a member or owner.")
                let stillPending = try await SQLApprovalStore(database: rig.database).pending(in: team.id)
                #expect(stillPending.count == 1, "the viewer's press stored nothing")

                rig.fake.pressButton(chatID: 10, from: 1, messageID: prompt.messageID, data: approve.data)
                await rig.fake.waitForSentMessages(chatID: 10, count: 3)
                #expect(wipe.calls.withLock { $0 } == 1)
            }
        }
    }
}
