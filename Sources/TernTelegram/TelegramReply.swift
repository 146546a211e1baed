import Foundation
import Logging
import TernAgent
import TernCore

/// Renders one turn's events in a chat: progress lines and the answer in one message that is
/// edited as the answer streams (at most once per edit interval), split at the end when it
/// outgrows Telegram's limit; approvals as a message with Approve / Deny buttons.
struct TelegramReply {
    let service: TelegramService
    let chat: Int64

    func run(_ events: TurnEvents) async throws {
        let client = service.client
        let settings = service.settings
        do {
            try await client.sendChatAction(chatID: chat)
        } catch {
            service.logger.debug("typing action failed", metadata: ["error": "\(error)"])  // cosmetic only
        }
        let progress = ProgressRenderer(verbosity: .default)
        let clock = ContinuousClock()
        var text = ""
        var shown = ""
        var messageID: Int64?
        var lastEdit = clock.now
        do {
            for try await event in events {
                switch event {
                case .content(let piece):
                    text += piece
                case .approvalRequired(let approval):
                    _ = try await client.sendMessage(
                        chatID: chat,
                        text: "Approval needed: run \(approval.tool) with \(approval.arguments)?",
                        replyMarkup: BotAPI.InlineKeyboard(rows: [
                            [
                                .init(text: "Approve", callbackData: "approve:\(approval.id)"),
                                .init(text: "Deny", callbackData: "deny:\(approval.id)"),
                            ]
                        ]))
                default:
                    if let line = progress.line(for: event) { text += Self.plain(line) }
                }
                let due = clock.now - lastEdit >= settings.editInterval
                if settings.streamEdits, due, !text.isEmpty, text != shown, text.utf16.count <= Telegram.maxMessageLength {
                    messageID = try await show(text, in: messageID)
                    shown = text
                    lastEdit = clock.now
                }
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            service.logger.warning("turn failed in telegram", metadata: ["chat": "\(chat)", "error": "\(error)"])
            text += (text.isEmpty ? "" : "\n\n") + "Sorry, that failed: \(userFacingDescription(of: error))"
        }
        // A cancelled turn (the bot is stopping) ends its event stream without an error: send nothing.
        try Task.checkCancellation()
        var pieces = TelegramText.split(text)
        if pieces.isEmpty { pieces = ["(no answer)"] }
        if pieces[0] != shown || messageID == nil { messageID = try await show(pieces[0], in: messageID) }
        for piece in pieces.dropFirst() { _ = try await client.sendMessage(chatID: chat, text: piece) }
    }

    /// Sends `text` as a new message, or edits the one already shown.
    private func show(_ text: String, in messageID: Int64?) async throws -> Int64 {
        if let messageID {
            try await service.client.editMessageText(chatID: chat, messageID: messageID, text: text)
            return messageID
        }
        return try await service.client.sendMessage(chatID: chat, text: text).messageID
    }

    /// A progress line without Markdown: Telegram gets plain text.
    static func plain(_ line: String) -> String {
        var text = line.hasPrefix("> ") ? String(line.dropFirst(2)) : line
        text = text.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "`", with: "")
        return text.hasSuffix("\n\n") ? String(text.dropLast()) : text
    }
}
