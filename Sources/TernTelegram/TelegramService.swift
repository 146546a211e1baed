package import Foundation
package import Logging
import ServiceLifecycle
import Synchronization
package import TernAgent
package import TernCore

/// The Telegram bot: long-polls the Bot API, hands each chat's messages to the agent strictly
/// in order (chats concurrently, up to a limit) and renders the agent's events as messages.
///
/// Durability: each fetched update is queued durably (`channel_inbox`) before the offset moves
/// past it, so the next poll confirms it to Telegram at once and the bot keeps one long poll
/// open whatever a turn or a chat's queue is doing. Updates still queued at a stop or crash are
/// handled at the next start; updates already handled are skipped by id (`channel_updates`), so
/// a restart neither loses an update nor answers one twice (see ``UpdateTracker``).
///
/// Shutdown: a graceful shutdown cancels the long poll at once (the offset stays where it was
/// confirmed), drops work not yet started (it stays queued for the next start) and gives running
/// turns ``TelegramSettings/shutdownGrace`` before cancelling them.
package final class TelegramService: Service, Sendable {
    /// The `channel_state` key of the offset.
    package static let channel = IdentityResolver.telegramChannel

    let client: BotAPIClient
    let channels: any ChannelStore
    let tenants: any TenantStore
    /// Every turn, and who a Telegram user is, go through the gateway.
    let turns: TurnGateway
    let settings: TelegramSettings
    let logger: Logger
    let chats: TelegramChats
    let state = Mutex(Status())

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
        client: BotAPIClient, channels: any ChannelStore, tenants: any TenantStore, turns: TurnGateway,
        settings: TelegramSettings, logger: Logger = Logger(label: "tern.telegram")
    ) {
        self.client = client
        self.channels = channels
        self.tenants = tenants
        self.turns = turns
        self.settings = settings
        self.logger = logger
        chats = TelegramChats()
    }

    package func run() async throws {
        let lanes = Lanes(settings: settings)
        let tracker = TrackerBox()
        var confirmed = try await channels.offset(for: Self.channel)
        // What a stop or crash left queued goes first, in order.
        for queued in try await channels.queuedUpdates(channel: Self.channel) {
            await resume(queued, lanes: lanes, tracker: tracker)
        }
        var wait = settings.backoff
        logger.info("telegram polling", metadata: ["offset": "\(confirmed.map(String.init) ?? "none")"])
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                // A graceful shutdown cancels the request in flight: the offset stays confirmed.
                let updates = try await cancelWhenGracefulShutdown { [client, settings, confirmed] in
                    try await client.getUpdates(
                        offset: confirmed, timeout: settings.pollTimeout, allowedUpdates: ["message", "callback_query"])
                }
                wait = settings.backoff
                state.withLock { $0.lastPollAt = Date() }
                for update in updates where tracker.isNew(update.updateID, confirmedBelow: confirmed) {
                    try await accept(update, lanes: lanes, tracker: tracker)
                }
                // Everything seen is queued durably: the next poll confirms it to Telegram.
                if let next = tracker.offset, next != confirmed {
                    try await channels.saveOffset(next, for: Self.channel)
                    confirmed = next
                }
                // Updates below the offset never come back and the inbox holds none of them.
                if let bound = tracker.pruneBound {
                    _ = try await channels.pruneProcessed(channel: Self.channel, below: bound)
                }
                let depth = await lanes.messages.queueDepth
                let active = await lanes.messages.activeChats
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
                do {
                    try await cancelWhenGracefulShutdown { [wait] in try await Task.sleep(for: wait) }
                } catch {
                    break  // cancelled or shutting down: the loop ends either way
                }
                wait = min(wait * 2, settings.maxBackoff)
            }
        }
        await lanes.stop(cancelled: Task.isCancelled, grace: settings.shutdownGrace)
        logger.info("telegram stopped", metadata: ["offset": "\(confirmed.map(String.init) ?? "none")"])
    }

    /// Queues a fetched update durably, then hands it to its chat. An update without a chat
    /// needs nothing and is only counted as seen.
    private func accept(_ update: BotAPI.Update, lanes: Lanes, tracker: TrackerBox) async throws {
        guard let chat = update.chat else { return tracker.seen(update.updateID, pending: false) }
        let payload: String
        do {
            payload = String(decoding: try JSONEncoder().encode(update), as: UTF8.self)
        } catch {
            throw BotAPIError.invalidResponse(method: "getUpdates", reason: "could not encode an update: \(error)")
        }
        _ = try await channels.enqueue(update.updateID, payload: payload, channel: Self.channel)
        tracker.seen(update.updateID, pending: true)
        await submit(update, chat: chat, lanes: lanes, tracker: tracker)
    }

    /// Hands an update found queued at start to its chat; an unreadable one is logged and dropped.
    private func resume(_ queued: QueuedChannelUpdate, lanes: Lanes, tracker: TrackerBox) async {
        let update: BotAPI.Update
        do {
            update = try JSONDecoder().decode(BotAPI.Update.self, from: Data(queued.payload.utf8))
        } catch {
            logger.error(
                "queued telegram update unreadable; dropped", metadata: ["update": "\(queued.updateID)", "error": "\(error)"])
            do {
                try await channels.dequeue(queued.updateID, channel: Self.channel)
            } catch {
                logger.error("could not drop a queued update", metadata: ["update": "\(queued.updateID)", "error": "\(error)"])
            }
            return
        }
        tracker.seen(update.updateID, pending: true)
        guard let chat = update.chat else { return }
        await submit(update, chat: chat, lanes: lanes, tracker: tracker)
    }

    private func submit(_ update: BotAPI.Update, chat: Int64, lanes: Lanes, tracker: TrackerBox) async {
        await lanes.lane(for: update).submit(chat: chat) { [self] in
            await self.handle(update) { tracker.taken(update.updateID) }
        }
    }

    /// Handles one update; `taken` is called once it is recorded as processed and out of the
    /// inbox (or handling it failed).
    func handle(_ update: BotAPI.Update, taken: @Sendable () -> Void) async {
        do {
            let isNew: Bool
            do {
                defer { taken() }
                isNew = try await channels.markProcessed(update.updateID, channel: Self.channel)
                try await channels.dequeue(update.updateID, channel: Self.channel)
            }
            guard isNew else {
                logger.debug("update already handled", metadata: ["update": "\(update.updateID)"])
                return
            }
            if let message = update.message {
                try await handleMessage(message)
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

    func isNew(_ id: Int64, confirmedBelow offset: Int64?) -> Bool {
        tracker.withLock { $0.isNew(id, confirmedBelow: offset) }
    }

    func seen(_ id: Int64, pending: Bool) { tracker.withLock { $0.seen(id, pending: pending) } }

    func taken(_ id: Int64) { tracker.withLock { $0.taken(id) } }

    var offset: Int64? { tracker.withLock { $0.offset } }

    var pruneBound: Int64? { tracker.withLock { $0.pruneBound } }
}

extension BotAPI.Update {
    /// The chat the update belongs to, if any.
    var chat: Int64? { message?.chat.id ?? callbackQuery?.message?.chat.id }
}
