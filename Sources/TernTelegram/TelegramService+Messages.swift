import Foundation
import Logging
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
        let caller = TurnCaller.claim(.telegram(user: from.id, chat: chat))
        do {
            switch text.split(separator: " ", maxSplits: 1).first.map(String.init) {
            case "/help":
                _ = try await turns.resolve(caller)
                _ = try await client.sendMessage(chatID: chat, text: Self.help)
            case "/new":
                _ = try await turns.startSession(for: caller, in: Self.conversation(in: chat))
                _ = try await client.sendMessage(chatID: chat, text: "New session started.")
            case "/status":
                let identity = try await turns.resolve(caller)
                let name = try await turns.identity.contexts(for: identity).first { $0.contextID == identity.context }?
                    .contextName
                let tools = try await turns.agent.toolStatus(in: identity.context).filter { $0.permission == .allow }
                _ = try await client.sendMessage(
                    chatID: chat,
                    text: "Context: \(name ?? identity.context.rawValue)\nTools: \(tools.map(\.spec.name).joined(separator: ", "))")
            case "/context":
                try await switchContext(to: text.dropFirst("/context".count).trimmingCharacters(in: .whitespaces), caller, chat: chat)
            default:
                let turn = try await turns.start(
                    TurnRequest(caller: caller, conversation: Self.conversation(in: chat), kind: .message(text)))
                try await TelegramReply(service: self, chat: chat).run(turn.events)
            }
        } catch let refusal as IdentityError {
            try await refuse(refusal, chat: chat, telegramUser: from.id)
        }
    }

    /// One conversation per chat and context.
    static func conversation(in chat: Int64) -> ConversationAddress {
        ConversationAddress(platform: Telegram.platform) { caller in "\(chat)/\(caller.context)" }
    }

    /// `/context <name>`: the chat talks in another of the user's contexts from now on.
    private func switchContext(to name: String, _ caller: TurnCaller, chat: Int64) async throws {
        let memberships = try await turns.identity.contexts(for: turns.resolve(caller))
        guard let target = memberships.first(where: { $0.contextName == name }) else {
            _ = try await client.sendMessage(
                chatID: chat,
                text: "You are not a member of a context named '\(name)'. Yours: "
                    + memberships.map(\.contextName).joined(separator: ", "))
            return
        }
        try await channels.setChatContext(target.contextID, chat: chat, channel: Self.channel)
        _ = try await client.sendMessage(chatID: chat, text: "Now talking in '\(target.contextName)'.")
    }

    /// Tells a refused user why: how to link (once per user, so a stranger cannot make the bot
    /// talk on and on), or that they belong to no context.
    private func refuse(_ refusal: IdentityError, chat: Int64, telegramUser: Int64) async throws {
        guard case .unauthenticated = refusal else {
            _ = try await client.sendMessage(chatID: chat, text: "Sorry: \(refusal.description).")
            return
        }
        guard chats.shouldExplain(to: telegramUser) else { return }
        _ = try await client.sendMessage(
            chatID: chat,
            text: "This bot answers only linked Tern users. Ask your Tern admin for a code "
                + "(tern telegram link <user>), then send /start <code>.")
    }

    func start(chat: Int64, telegramUser: Int64, code: String) async throws {
        let trimmed = code.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            let linked = try await turns.identity.linkedUser(telegramUser: telegramUser) != nil
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
        guard parts.count == 2, parts[0] == "approve" || parts[0] == "deny", turns.agent.approvals != nil,
            let chat = query.message?.chat.id
        else {
            try await client.answerCallbackQuery(id: query.id, text: "Unknown button.")
            return
        }
        let identity: ResolvedIdentity
        do {
            identity = try await turns.resolve(.claim(.telegram(user: query.from.id, chat: chat)))
        } catch let refusal as IdentityError {
            logger.warning(
                "approval button refused", metadata: ["telegram_user": "\(query.from.id)", "reason": "\(refusal)"])
            try await client.answerCallbackQuery(id: query.id, text: "You are not allowed to decide this.")
            return
        }
        let user = identity.user.id
        do {
            let decided = try await turns.agent.decideApproval(
                ApprovalID(parts[1]), approve: parts[0] == "approve", by: user, in: identity.context)
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
