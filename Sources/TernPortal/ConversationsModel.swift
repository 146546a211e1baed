import Foundation
import TernCore

/// The conversations page's model: the search form as sent, one page of rows, and the link to
/// the next page (keyset: the link carries the last row's position, never an offset).
struct ConversationsModel: Sendable {
    struct Row: Sendable {
        var href: String
        var title: String
        var contextName: String
        var platform: String
        var startedBy: String
        var started: String
        var lastActivity: String
        var messages: Int
        var tokens: Int
    }

    /// The search as the form shows it back.
    struct Filters: Sendable, Equatable {
        var text = ""
        var user = ""
        var since = ""
        var until = ""
    }

    var filters: Filters
    var rows: [Row]
    /// Stored, not computed: templates read models by reflection.
    var isEmpty: Bool
    var nextHref: String?
    var scopeNote: String

    init(filters: Filters, page: KeysetPage<ConversationSummary>, scopeNote: String) {
        self.filters = filters
        self.scopeNote = scopeNote
        rows = page.rows.map { summary in
            Row(
                href: "/admin/conversations/\(PortalPath.component(summary.conversation.id.rawValue))",
                title: summary.title ?? "(no user message)", contextName: summary.contextName,
                platform: summary.conversation.platform,
                startedBy: summary.startedBy?.rawValue ?? "unknown",
                started: PortalFormat.time(summary.conversation.createdAt),
                lastActivity: summary.lastMessageAt.map(PortalFormat.time) ?? "",
                messages: summary.messageCount,
                tokens: summary.totalTokens)
        }
        isEmpty = rows.isEmpty
        nextHref = page.next.map { cursor in
            PortalQuery.href(
                "/admin/conversations",
                [
                    "q": filters.text, "user": filters.user, "since": filters.since,
                    "until": filters.until, "cursor": cursor,
                ])
        }
    }
}
