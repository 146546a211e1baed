import Foundation

/// The Telegram channel: a long-polling bot that renders the agent's events as Telegram messages.
package enum Telegram {
    /// The `platform` of conversations that come through Telegram.
    package static let platform = "telegram"
    /// Telegram's limit on the text of one message.
    package static let maxMessageLength = 4096
}
