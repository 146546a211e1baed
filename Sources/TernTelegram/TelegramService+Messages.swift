import Foundation
import Synchronization
import TernAgent
import TernCore

/// What the bot remembers about chats while it runs: which unlinked users were already told how
/// to link. (The context a chat chose is stored: ``ChannelStore/chatContext(chat:channel:)``.)
final class TelegramChats: Sendable {
    private let explained = Mutex<Set<Int64>>([])

    /// True the first time for a Telegram user.
    func shouldExplain(to user: Int64) -> Bool { explained.withLock { $0.insert(user).inserted } }
}

extension TelegramService {
    static let help = """
        Talk to me and I answer with your Tern agent.
        /new starts a new session, /context <name> switches context, /status shows where you are, \
        /<skill> <text> runs a skill.
        """
    static let nulRefusal =
        "Your message contains a NUL character (U+0000), which Tern cannot store. Send it again without it."

    func handleMessage(_ message: BotAPI.Message) async throws {
        let chat = message.chat.id
        guard let from = message.from, !from.isBot, let text = message.text?.trimmingCharacters(in: .whitespacesAndNewlines),
            !text.isEmpty
        else { return }
        guard message.chat.type == "private" || settings.allowGroups else { return }
        // As the HTTP API answers 400: PostgreSQL text cannot hold U+0000, so it is refused on every
        // backend before anything (a link code lookup, the user message) touches the store.
        guard !text.containsNUL else {
            _ = try await client.sendMessage(chatID: chat, text: Self.nulRefusal)
            return
        }
        if text.hasPrefix("/start") {
            return try await start(chat: chat, telegramUser: from.id, code: String(text.dropFirst(6)))
        }
        guard let user = try await linkedUser(from.id) else {
            if chats.shouldExplain(to: from.id) {
                _ = try await client.sendMessage(
                    chatID: chat,
                    text: "This bot answers only linked Tern users. Ask your Tern admin for a code "
                        + "(tern telegram link <user>), then send /start <code>.")
            }
            return
        }
        let memberships = try await tenants.memberships(of: user)
        let chosen = try await channels.chatContext(chat: chat, channel: Self.channel)
        guard let context = chosen.flatMap({ id in memberships.first { $0.contextID == id } })
            ?? memberships.first(where: \.isDefault) ?? memberships.first
        else {
            _ = try await client.sendMessage(chatID: chat, text: "You are not a member of any context yet.")
            return
        }
        let conversation = try await conversations.conversation(
            in: context.contextID, platform: Telegram.platform, platformID: "\(chat)/\(context.contextID)")
        switch text.split(separator: " ", maxSplits: 1).first.map(String.init) {
        case "/help":
            _ = try await client.sendMessage(chatID: chat, text: Self.help)
        case "/new":
            _ = try await conversations.startSession(of: conversation.id, in: context.contextID)
            _ = try await client.sendMessage(chatID: chat, text: "New session started.")
        case "/status":
            let tools = try await agent.toolStatus(in: context.contextID).filter { $0.permission == .allow }
            _ = try await client.sendMessage(
                chatID: chat,
                text: "Context: \(context.contextName)\nTools: \(tools.map(\.spec.name).joined(separator: ", "))")
        case "/context":
            let name = text.dropFirst("/context".count).trimmingCharacters(in: .whitespaces)
            guard let target = memberships.first(where: { $0.contextName == name }) else {
                _ = try await client.sendMessage(
                    chatID: chat,
                    text: "You are not a member of a context named '\(name)'. Yours: "
                        + memberships.map(\.contextName).joined(separator: ", "))
                return
            }
            try await channels.setChatContext(target.contextID, chat: chat, channel: Self.channel)
            _ = try await client.sendMessage(chatID: chat, text: "Now talking in '\(target.contextName)'.")
        default:
            let session = try await conversations.currentSession(of: conversation.id, in: context.contextID)
            let turn = AgentTurn(
                context: context.contextID, user: user, conversation: conversation.id, session: session.id, input: text,
                role: context.role)
            try await TelegramReply(service: self, chat: chat).run(agent.run(turn))
        }
    }

    /// A linked Tern user, or the local user for allow-listed Telegram ids.
    func linkedUser(_ telegramUser: Int64) async throws -> UserID? {
        if let linked = try await channels.linkedUser(telegramUserID: telegramUser) { return linked }
        return settings.allowedUsers.contains(telegramUser) ? .localUser : nil
    }

    func start(chat: Int64, telegramUser: Int64, code: String) async throws {
        let trimmed = code.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            let linked = try await linkedUser(telegramUser) != nil
            _ = try await client.sendMessage(
                chatID: chat, text: linked ? Self.help : "Send /start <code> with the code your Tern admin gave you.")
            return
        }
        guard let user = try await channels.redeemLinkCode(trimmed, telegramUserID: telegramUser, at: Date()) else {
            logger.warning("telegram link code refused", metadata: ["telegram_user": "\(telegramUser)"])
            _ = try await client.sendMessage(chatID: chat, text: "That code is unknown, used or expired.")
            return
        }
        let name = try await tenants.user(user)?.displayName ?? user.rawValue
        logger.notice("telegram user linked", metadata: ["telegram_user": "\(telegramUser)", "user": "\(user)"])
        _ = try await client.sendMessage(chatID: chat, text: "Linked to \(name). " + Self.help)
    }

    /// Approve / Deny buttons: only a member of the approval's context may decide.
    func handleCallback(_ query: BotAPI.CallbackQuery) async throws {
        let parts = (query.data ?? "").split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "approve" || parts[0] == "deny", agent.approvals != nil,
            let chat = query.message?.chat.id
        else {
            try await client.answerCallbackQuery(id: query.id, text: "Unknown button.")
            return
        }
        guard let user = try await linkedUser(query.from.id) else {
            logger.warning("approval button from an unlinked user refused", metadata: ["telegram_user": "\(query.from.id)"])
            try await client.answerCallbackQuery(id: query.id, text: "You are not allowed to decide this.")
            return
        }
        let memberships = try await tenants.memberships(of: user)
        let chosen = try await channels.chatContext(chat: chat, channel: Self.channel)
        let context = chosen ?? memberships.first(where: \.isDefault)?.contextID
        guard let context, memberships.contains(where: { $0.contextID == context }) else {
            try await client.answerCallbackQuery(id: query.id, text: "You are not allowed to decide this.")
            return
        }
        do {
            let decided = try await agent.decideApproval(
                ApprovalID(parts[1]), approve: parts[0] == "approve", by: user, in: context)
            try await client.answerCallbackQuery(id: query.id, text: decided.status == .approved ? "Approved." : "Denied.")
        } catch StoreError.notFound {
            logger.warning("approval button for an approval outside the member's context", metadata: ["user": "\(user)"])
            try await client.answerCallbackQuery(id: query.id, text: "You are not allowed to decide this.")
        } catch AgentError.forbidden(let why) {
            logger.warning("approval button refused by role", metadata: ["user": "\(user)", "reason": "\(why)"])
            try await client.answerCallbackQuery(id: query.id, text: "You cannot decide this: \(why).")
        } catch StoreError.conflict(let what) {
            try await client.answerCallbackQuery(id: query.id, text: "Already decided: \(what).")
        }
    }
}
