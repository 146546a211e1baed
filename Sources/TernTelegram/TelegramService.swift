import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TernAgent
import TernCore

/// The Telegram bot: long-polls the Bot API, hands each chat's messages to the agent strictly
/// in order (chats concurrently, up to a limit) and renders the agent's events as messages.
///
/// Durability: the stored offset only moves past an update once its user message is stored
/// (the agent stores it before anything else), and updates already handled are skipped by id,
/// so a crash or restart neither loses an update nor answers one twice (see ``UpdateTracker``).
package final class TelegramService: Service, Sendable {
    /// The `channel_state` key of the offset.
    package static let channel = "telegram"

    let client: BotAPIClient
    let channels: any ChannelStore
    let tenants: any TenantStore
    let conversations: any ConversationStore
    let agent: AgentService
    let settings: TelegramSettings
    let logger: Logger
    let chats: TelegramChats
    private let state = Mutex(Status())

    /// What the bot is doing, for diagnostics.
    package struct Status: Sendable, Equatable {
        /// The last offset confirmed.
        package var offset: Int64?
        /// Updates fetched and not yet handled.
        package var queueDepth = 0
        /// Chats being answered now.
        package var activeChats = 0
        package var lastPollAt: Date?
        package var lastError: String?
    }

    /// A snapshot of ``Status``.
    package var status: Status { state.withLock { $0 } }

    package init(
        client: BotAPIClient, channels: any ChannelStore, tenants: any TenantStore,
        conversations: any ConversationStore, agent: AgentService, settings: TelegramSettings,
        logger: Logger = Logger(label: "tern.telegram")
    ) {
        self.client = client
        self.channels = channels
        self.tenants = tenants
        self.conversations = conversations
        self.agent = agent
        self.settings = settings
        self.logger = logger
        chats = TelegramChats()
    }

    package func run() async throws {
        let dispatcher = ChatDispatcher(limit: settings.maxConcurrentChats)
        // Button presses have a lane of their own: a turn waiting for an approval must not
        // hold up the press that approves it.
        let buttons = ChatDispatcher(limit: settings.maxConcurrentChats)
        let tracker = TrackerBox()
        var confirmed = try await channels.offset(for: Self.channel)
        var wait = settings.backoff
        logger.info("telegram polling", metadata: ["offset": "\(confirmed.map(String.init) ?? "none")"])
        await withGracefulShutdownHandler {
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                do {
                    let updates = try await client.getUpdates(
                        offset: confirmed, timeout: settings.pollTimeout, allowedUpdates: ["message", "callback_query"])
                    wait = settings.backoff
                    state.withLock { $0.lastPollAt = Date() }
                    for update in updates where tracker.accept(update.updateID, confirmedBelow: confirmed) {
                        guard let chat = update.message?.chat.id ?? update.callbackQuery?.message?.chat.id else {
                            tracker.stored(update.updateID)
                            continue
                        }
                        await (update.callbackQuery == nil ? dispatcher : buttons).submit(chat: chat) { [self] in
                            await self.handle(update) { tracker.stored(update.updateID) }
                        }
                    }
                    // Advance past what is stored; the next poll confirms it to Telegram too.
                    if let next = tracker.offset, next != confirmed {
                        try await channels.saveOffset(next, for: Self.channel)
                        confirmed = next
                        // Updates below the confirmed offset never come back: forget their ids.
                        _ = try await channels.pruneProcessed(channel: Self.channel, below: next)
                    }
                    let depth = await dispatcher.queueDepth
                    let active = await dispatcher.activeChats
                    state.withLock {
                        $0.offset = confirmed
                        $0.queueDepth = depth
                        $0.activeChats = active
                    }
                } catch is CancellationError {
                    break
                } catch {
                    state.withLock { $0.lastError = "\(error)" }
                    logger.warning(
                        "telegram poll failed; backing off",
                        metadata: ["error": "\(error)", "wait": "\(wait.shortDescription)"])
                    do { try await Task.sleep(for: wait) } catch { break }
                    wait = min(wait * 2, settings.maxBackoff)
                }
            }
        } onGracefulShutdown: {
            // The poll in flight is cancelled by the service group; turns already running finish.
        }
        // Cancelled (not a graceful stop): stop the turns too; their updates are not confirmed
        // unless their user messages were stored.
        if Task.isCancelled {
            await dispatcher.cancelAll()
            await buttons.cancelAll()
        }
        await dispatcher.waitUntilIdle()
        await buttons.waitUntilIdle()
    }

    /// Handles one update; `stored` is called once its user message is stored (or it has none).
    func handle(_ update: BotAPI.Update, stored: @escaping @Sendable () -> Void) async {
        let once = Once(stored)
        defer { once.run() }
        do {
            guard try await channels.markProcessed(update.updateID, channel: Self.channel) else {
                logger.debug("update already handled", metadata: ["update": "\(update.updateID)"])
                return
            }
            if let message = update.message {
                try await handleMessage(message, stored: once)
            } else if let query = update.callbackQuery {
                try await handleCallback(query)
            }
        } catch is CancellationError {
            return
        } catch {
            state.withLock { $0.lastError = "\(error)" }
            logger.error("telegram update failed", metadata: ["update": "\(update.updateID)", "error": "\(error)"])
        }
    }
}

/// The tracker shared by the poll loop and the chat workers.
final class TrackerBox: Sendable {
    private let tracker = Mutex(UpdateTracker())

    func accept(_ id: Int64, confirmedBelow offset: Int64?) -> Bool {
        tracker.withLock { $0.accept(id, confirmedBelow: offset) }
    }

    func stored(_ id: Int64) { tracker.withLock { $0.stored(id) } }

    var offset: Int64? { tracker.withLock { $0.offset } }
}

/// Runs a closure at most once.
final class Once: Sendable {
    private let action: Mutex<(@Sendable () -> Void)?>

    init(_ action: @escaping @Sendable () -> Void) { self.action = Mutex(action) }

    func run() { action.withLock { current in defer { current = nil }; return current }?() }
}
