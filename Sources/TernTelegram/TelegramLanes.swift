import Foundation

/// The bot's two dispatchers: chat messages, and button presses in a lane of their own (a turn
/// waiting for an approval must not hold up the press that approves it).
struct Lanes: Sendable {
    let messages: ChatDispatcher
    let buttons: ChatDispatcher

    init(settings: TelegramSettings) {
        messages = ChatDispatcher(limit: settings.maxConcurrentChats)
        buttons = ChatDispatcher(limit: settings.maxConcurrentChats)
    }

    /// The dispatcher for `update`.
    func lane(for update: BotAPI.Update) -> ChatDispatcher {
        update.callbackQuery == nil ? messages : buttons
    }

    /// Stops both lanes. Cancelled: every turn is cancelled at once. Graceful: work not started
    /// is dropped (its updates stay queued in the store for the next start) and running turns get
    /// `grace` to finish before they are cancelled.
    func stop(cancelled: Bool, grace: Duration) async {
        if cancelled {
            await messages.cancelAll()
            await buttons.cancelAll()
        } else {
            await messages.dropQueued()
            await buttons.dropQueued()
            await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await messages.waitUntilIdle()
                    await buttons.waitUntilIdle()
                    return true
                }
                group.addTask {
                    do {
                        try await Task.sleep(for: grace)
                    } catch {
                        return true  // cancelled because the lanes went idle first
                    }
                    return false
                }
                if await group.next() == false {
                    await messages.cancelAll()
                    await buttons.cancelAll()
                }
                group.cancelAll()
            }
        }
        await messages.waitUntilIdle()
        await buttons.waitUntilIdle()
    }
}
