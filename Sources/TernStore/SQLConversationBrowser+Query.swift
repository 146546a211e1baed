import Foundation
import SQLKit
import TernCore

/// The list statement and its filters.
///
/// Who started a conversation is read from the channel's key, as each channel writes it (the
/// store has no column for it): the OpenAI-compatible and agent APIs key a conversation
/// `<context>/<user>/…`, `tern chat` acts as the local user, and a Telegram chat is keyed
/// `<chat>/<context>`, where a private chat's id is its Telegram user's (linked in
/// `telegram_links`). A Telegram group has no single starter.
extension SQLConversationBrowser {
    /// Channels whose conversation keys start with `<context>/<user>/`.
    static let userKeyedPlatforms = ["openai", "agent"]
    static let cliPlatform = "cli"
    static let telegramPlatform = "telegram"

    /// The `WHERE` conditions of `search` on `conversations c`, each a complete expression.
    static func filters(_ search: ConversationSearch) -> [SQLQueryString] {
        var filters: [SQLQueryString] = []
        if let contexts = search.contexts {
            filters.append("c.context_id IN (\(binds: contexts.map(\.rawValue).sorted()))")
        }
        if let since = search.since { filters.append("c.created_at >= \(bind: since.microsecondsSince1970)") }
        if let until = search.until { filters.append("c.created_at < \(bind: until.microsecondsSince1970)") }
        if let cursor = search.cursor {
            // The redundant `created_at <=` bound lets SQLite range-scan the index: with the `OR`
            // alone it read and sorted every older row (215 ms for the 11th page of 100,000).
            filters.append(
                """
                c.created_at <= \(bind: cursor.at) AND (c.created_at < \(bind: cursor.at) OR (c.created_at = \(bind: cursor.at) AND c.id < \(bind: cursor.id)))
                """)
        }
        if let user = search.user { filters.append(startedBy(user)) }
        if let text = search.text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty {
            filters.append(
                """
                EXISTS (SELECT 1 FROM sessions s JOIN messages m ON m.session_id = s.id
                    WHERE s.conversation_id = c.id AND lower(m.content) LIKE \(bind: likePattern(text)) ESCAPE '!')
                """)
        }
        return filters
    }

    /// Conversations `user` started (see the extension's note).
    static func startedBy(_ user: UserID) -> SQLQueryString {
        let prefix = "/\(user.rawValue)/"
        var options: [SQLQueryString] = [
            """
            (c.platform IN (\(binds: userKeyedPlatforms))
                AND substr(c.platform_id, length(c.context_id) + 1, CAST(\(bind: prefix.count) AS INTEGER)) = \(bind: prefix)
                AND substr(c.platform_id, 1, length(c.context_id)) = c.context_id)
            """,
            """
            (c.platform = \(bind: telegramPlatform) AND EXISTS (SELECT 1 FROM telegram_links t
                WHERE t.user_id = \(bind: user.rawValue)
                AND c.platform_id = CAST(t.telegram_user_id AS TEXT) || '/' || c.context_id))
            """,
        ]
        if user == .localUser { options.append("c.platform = \(bind: cliPlatform)") }
        return "(" + options.joined(separator: " OR ") + ")"
    }

    /// `%text%`, lowercased, with `!`, `%` and `_` escaped by `!` so they match themselves.
    static func likePattern(_ text: String) -> String {
        var escaped = ""
        for character in text.lowercased() {
            if character == "!" || character == "%" || character == "_" { escaped.append("!") }
            escaped.append(character)
        }
        return "%\(escaped)%"
    }

    /// One statement: the page's conversations (`limit` rows matching `filters`, newest first),
    /// then their context names, titles, Telegram starters and message statistics.
    static func listQuery(_ filters: [SQLQueryString], limit: Int) -> SQLQueryString {
        let conditions: SQLQueryString = filters.isEmpty ? "" : "WHERE " + filters.joined(separator: " AND ")
        return """
            WITH page AS (
                SELECT c.id, c.context_id, c.platform, c.platform_id, c.created_at FROM conversations c
                \(conditions)
                ORDER BY c.created_at DESC, c.id DESC
                LIMIT \(literal: limit)
            ),
            stats AS (
                SELECT s.conversation_id, COUNT(*) AS message_count, SUM(m.total_tokens) AS total_tokens,
                    MAX(m.created_at) AS last_message_at
                FROM sessions s JOIN messages m ON m.session_id = s.id
                WHERE s.conversation_id IN (SELECT id FROM page)
                GROUP BY s.conversation_id
            )
            SELECT page.*, x.name AS context_name, stats.message_count, stats.total_tokens, stats.last_message_at,
                (SELECT substr(m.content, 1, 120) FROM sessions s JOIN messages m ON m.session_id = s.id
                    WHERE s.conversation_id = page.id AND m.role = 'user'
                    ORDER BY m.created_at, m.id LIMIT 1) AS title,
                (SELECT t.user_id FROM telegram_links t
                    WHERE page.platform = \(bind: telegramPlatform)
                    AND page.platform_id = CAST(t.telegram_user_id AS TEXT) || '/' || page.context_id) AS telegram_user
            FROM page JOIN contexts x ON x.id = page.context_id
            LEFT JOIN stats ON stats.conversation_id = page.id
            ORDER BY page.created_at DESC, page.id DESC
            """
    }

    /// A row of ``listQuery(_:limit:)`` as a ``ConversationSummary``.
    static func decodeSummary(_ row: any SQLRow) throws -> ConversationSummary {
        let conversation = try SQLConversationStore.decodeConversation(row)
        let telegramUser = try row.decode(column: "telegram_user", as: String?.self)
        return ConversationSummary(
            conversation: conversation,
            contextName: try row.decode(column: "context_name", as: String.self),
            startedBy: telegramUser.map { UserID($0) } ?? starter(of: conversation),
            title: try row.decode(column: "title", as: String?.self),
            messageCount: try row.decode(column: "message_count", as: Int?.self) ?? 0,
            totalTokens: try row.decode(column: "total_tokens", as: Int?.self) ?? 0,
            lastMessageAt: try row.decode(column: "last_message_at", as: Int64?.self).map(Date.init(microsecondsSince1970:)))
    }

    /// The starter a conversation's key names, for the channels whose keys name one.
    static func starter(of conversation: Conversation) -> UserID? {
        if conversation.platform == cliPlatform { return .localUser }
        guard userKeyedPlatforms.contains(conversation.platform) else { return nil }
        let parts = conversation.platformID.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == conversation.contextID.rawValue, !parts[1].isEmpty else { return nil }
        return UserID(String(parts[1]))
    }
}
