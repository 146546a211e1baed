import Foundation

/// How the Telegram channel behaves. (Who may talk to the bot is the ``IdentityResolver``'s
/// business: links and allow-listed users are ``LinkedAccounts``.)
package struct TelegramSettings: Sendable {
    /// Seconds a `getUpdates` long poll waits for news.
    package var pollTimeout: Int
    /// Chats answered at the same time, at most; a chat's messages are always handled in order.
    package var maxConcurrentChats: Int
    /// Whether group chats are answered (private chats always are).
    package var allowGroups: Bool
    /// Edit one message as the answer streams (at most once per ``editInterval``), instead of
    /// sending the answer when it is complete.
    package var streamEdits: Bool
    package var editInterval: Duration
    /// Wait after a failed poll; doubles up to ``maxBackoff``.
    package var backoff: Duration
    package var maxBackoff: Duration
    /// On a graceful shutdown, how long running turns may go on before they are cancelled (the
    /// long poll is cancelled at once); keeps a stop well inside Docker's and Kubernetes' grace.
    package var shutdownGrace: Duration

    package init(
        pollTimeout: Int = 50, maxConcurrentChats: Int = 16, allowGroups: Bool = false,
        streamEdits: Bool = true, editInterval: Duration = .seconds(1), backoff: Duration = .seconds(1),
        maxBackoff: Duration = .seconds(60), shutdownGrace: Duration = .seconds(1)
    ) {
        self.pollTimeout = pollTimeout
        self.maxConcurrentChats = maxConcurrentChats
        self.allowGroups = allowGroups
        self.streamEdits = streamEdits
        self.editInterval = editInterval
        self.backoff = backoff
        self.maxBackoff = maxBackoff
        self.shutdownGrace = shutdownGrace
    }
}
