package import Foundation

/// Which conversations to list, newest first (by when they started), for the admin portal.
///
/// `contexts` limits the search to those contexts (an owner's or member's view); `nil` is every
/// context (an admin's). An empty set finds nothing.
package struct ConversationSearch: Sendable, Equatable {
    package var contexts: Set<ContextID>?
    /// Text that some message of the conversation contains, case-insensitively (ASCII letters).
    package var text: String?
    /// The user who started the conversation (see ``ConversationSummary/startedBy``).
    package var user: UserID?
    /// Only conversations started at or after this time.
    package var since: Date?
    /// Only conversations started before this time.
    package var until: Date?
    /// Where the previous page ended (the `next` token of ``KeysetPage``), on
    /// `(created_at, id)`.
    package var cursor: PortalTimeCursor?
    package var limit: Int

    package init(
        contexts: Set<ContextID>? = nil, text: String? = nil, user: UserID? = nil, since: Date? = nil,
        until: Date? = nil, cursor: PortalTimeCursor? = nil, limit: Int = 50
    ) {
        self.contexts = contexts
        self.text = text
        self.user = user
        self.since = since
        self.until = until
        self.cursor = cursor
        self.limit = limit
    }
}

/// One row of the conversation list: the conversation, its context's name and what it holds.
package struct ConversationSummary: Sendable, Equatable {
    package var conversation: Conversation
    package var contextName: String
    /// The user who started it: the caller named in an API conversation's key, the local user
    /// for `tern chat`, the linked account of a Telegram private chat; `nil` when the channel
    /// does not say (a Telegram group).
    package var startedBy: UserID?
    /// The start of its first user message (at most 120 characters), when it has one.
    package var title: String?
    /// Every stored message, superseded ones included.
    package var messageCount: Int
    /// Summed `total_tokens` of its messages.
    package var totalTokens: Int
    /// When its newest message was stored.
    package var lastMessageAt: Date?

    package init(
        conversation: Conversation, contextName: String, startedBy: UserID?, title: String?, messageCount: Int,
        totalTokens: Int, lastMessageAt: Date?
    ) {
        self.conversation = conversation
        self.contextName = contextName
        self.startedBy = startedBy
        self.title = title
        self.messageCount = messageCount
        self.totalTokens = totalTokens
        self.lastMessageAt = lastMessageAt
    }
}

/// Everything stored about one conversation, for its transcript: every message of every
/// session in order (superseded ones flagged), and the approvals its turns asked for.
package struct ConversationTranscript: Sendable, Equatable {
    package var summary: ConversationSummary
    package var messages: [TranscriptMessage]
    package var approvals: [Approval]

    package init(summary: ConversationSummary, messages: [TranscriptMessage], approvals: [Approval]) {
        self.summary = summary
        self.messages = messages
        self.approvals = approvals
    }
}

/// A stored message as the transcript shows it.
package struct TranscriptMessage: Sendable, Equatable {
    package var message: Message
    /// A client resent the thread with this part edited or regenerated; kept for the record.
    package var superseded: Bool

    package init(message: Message, superseded: Bool) {
        self.message = message
        self.superseded = superseded
    }
}

/// Reads conversations across contexts for the admin portal and deletes them. Every method
/// takes the contexts the caller may see; a conversation outside them is reported as absent.
package protocol ConversationBrowser: Sendable {
    /// One page of the conversations `search` matches, newest first.
    func search(_ search: ConversationSearch) async throws -> KeysetPage<ConversationSummary>
    /// The transcript of `id`, or `nil` when there is none in `contexts` (`nil`: any context).
    func transcript(of id: ConversationID, in contexts: Set<ContextID>?) async throws -> ConversationTranscript?
    /// Deletes `id` with its sessions, messages and approvals (usage records stay, unlinked);
    /// `false` when there is no such conversation in `context`.
    func delete(_ id: ConversationID, in context: ContextID) async throws -> Bool
}
