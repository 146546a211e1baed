import Foundation
import SQLKit
import Testing
import TernCore
import TernStore

/// The portal's conversation list and transcripts on SQLite and PostgreSQL: keyset pages that
/// return every row once, one statement per page, server-side search by text, starter and date,
/// tenant scoping, transcripts and deletion.
@Suite(.timeLimit(.minutes(1))) struct ConversationBrowserTests {
    static let contextB = SQLBackend.contextB
    static let start: Int64 = 1_700_000_000_000_000

    /// Stores a conversation with one session and the given messages, `at` microseconds after
    /// ``start``; message `n` is stored `n + 1` microseconds after the conversation.
    static func seed(
        _ db: any DatabaseHandle, id: String, context: ContextID = .defaultContext, platform: String = "openai",
        platformID: String? = nil, at offset: Int64, messages: [(Role, String, Int?)] = []
    ) async throws {
        let created = start + offset
        let key = platformID ?? "\(context.rawValue)/u-ann/id/\(id)"
        try await db.write { db in
            try await db.raw(
                """
                INSERT INTO conversations (id, context_id, platform, platform_id, created_at)
                VALUES (\(bind: id), \(bind: context.rawValue), \(bind: platform), \(bind: key), \(bind: created))
                """
            ).run()
            try await db.raw(
                """
                INSERT INTO sessions (id, conversation_id, context_id, created_at)
                VALUES (\(bind: "s-" + id), \(bind: id), \(bind: context.rawValue), \(bind: created))
                """
            ).run()
            for (n, (role, content, tokens)) in messages.enumerated() {
                try await db.raw(
                    """
                    INSERT INTO messages (id, session_id, context_id, role, content, total_tokens, status, created_at)
                    VALUES (\(bind: "\(id)-m\(n)"), \(bind: "s-" + id), \(bind: context.rawValue), \(bind: role.rawValue),
                        \(bind: content), \(bind: tokens), 'complete', \(bind: created + Int64(n) + 1))
                    """
                ).run()
            }
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func pages_walkEveryConversationOnce_newestFirst_oneStatementEach(_ backend: SQLBackend) async throws {
        try await backend.withStore({ $0 }) { database, _ in
            for n in 0..<7 {  // pairs share a start time: ties are broken by id
                try await Self.seed(database, id: "c\(n)", at: Int64(n / 2), messages: [(.user, "hello \(n)", nil)])
            }
            let counting = CountingDatabase(database)
            let browser = SQLConversationBrowser(database: counting)
            var seen: [String] = []
            var cursor: PortalTimeCursor?
            var pages = 0
            repeat {
                counting.reset()
                let page = try await browser.search(ConversationSearch(cursor: cursor, limit: 3))
                #expect(counting.statements == 1)
                seen += page.rows.map(\.conversation.id.rawValue)
                cursor = try page.next.map { try #require(PortalTimeCursor(token: $0)) }
                pages += 1
            } while cursor != nil
            #expect(seen == ["c6", "c5", "c4", "c3", "c2", "c1", "c0"])
            #expect(pages == 3)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func summary_countsMessagesAndTokens_namesContextTitleAndStarter(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLConversationBrowser(database: $0) }) { browser, database in
            try await Self.seed(
                database, id: "c1", at: 0,
                messages: [
                    (.user, String(repeating: "x", count: 130), nil), (.assistant, "hi", 30), (.user, "more", nil), (.assistant, "ok", 12),
                ])
            try await Self.seed(database, id: "c2", platform: "telegram", platformID: "42/\(ContextID.defaultContext.rawValue)", at: 1)
            let rows = try await browser.search(ConversationSearch()).rows
            let quiet = try #require(rows.first)
            #expect(quiet.conversation.id == "c2" && quiet.messageCount == 0 && quiet.totalTokens == 0)
            #expect(quiet.title == nil && quiet.lastMessageAt == nil && quiet.startedBy == nil)
            let busy = try #require(rows.last)
            #expect(busy.messageCount == 4 && busy.totalTokens == 42)
            #expect(busy.title == String(repeating: "x", count: 120))
            #expect(busy.startedBy == "u-ann")
            #expect(busy.contextName == "default")
            #expect(busy.lastMessageAt == Date(microsecondsSince1970: Self.start + 4))
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func search_byText_caseInsensitive_wildcardsMatchThemselves(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLConversationBrowser(database: $0) }) { browser, database in
            try await Self.seed(database, id: "c1", at: 0, messages: [(.user, "Deploy the STAGING server", nil)])
            try await Self.seed(database, id: "c2", at: 1, messages: [(.assistant, "disk at 100% now", nil)])
            try await Self.seed(database, id: "c3", at: 2, messages: [(.user, "disk at 1000 now", nil)])
            try await Self.seed(database, id: "c4", at: 3, messages: [(.user, "snake_case", nil), (.user, "snakeXcase", nil)])
            func ids(_ text: String) async throws -> [String] {
                try await browser.search(ConversationSearch(text: text)).rows.map(\.conversation.id.rawValue)
            }
            #expect(try await ids("staging") == ["c1"])
            #expect(try await ids("100%") == ["c2"])
            #expect(try await ids("e_c") == ["c4"])
            #expect(try await ids("disk") == ["c3", "c2"])
            #expect(try await ids("  ").count == 4)  // blank text is no filter
            #expect(try await ids("nothing like it").isEmpty)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func search_byStarter_readsEachChannelsKey(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLConversationBrowser(database: $0) }) { browser, database in
            let ctx = ContextID.defaultContext.rawValue
            try await database.write { db in
                for user in ["u-ann", "u-bob"] {
                    try await db.raw(
                        "INSERT INTO users (id, email, display_name, created_at) VALUES (\(bind: user), \(bind: user + "@x.test"), \(bind: user), 0)"
                    ).run()
                }
                try await db.raw("INSERT INTO telegram_links (telegram_user_id, user_id, linked_at) VALUES (42, 'u-bob', 0)").run()
            }
            try await Self.seed(database, id: "api-ann", at: 0)
            try await Self.seed(database, id: "agent-bob", platform: "agent", platformID: "\(ctx)/u-bob/k1", at: 1)
            try await Self.seed(database, id: "api-annex", platformID: "\(ctx)/u-annex/id/x", at: 2)
            try await Self.seed(database, id: "tg-bob", platform: "telegram", platformID: "42/\(ctx)", at: 3)
            try await Self.seed(database, id: "tg-group", platform: "telegram", platformID: "-100/\(ctx)", at: 4)
            try await Self.seed(database, id: "cli", platform: "cli", platformID: "root/work", at: 5)
            try await Self.seed(database, id: "forged", platformID: "other/u-ann/id/x", at: 6)
            func ids(_ user: UserID) async throws -> [String] {
                try await browser.search(ConversationSearch(user: user)).rows.map(\.conversation.id.rawValue)
            }
            #expect(try await ids("u-ann") == ["api-ann"])
            #expect(try await ids("u-bob") == ["tg-bob", "agent-bob"])
            #expect(try await ids(.localUser) == ["cli"])
            let starters = try await browser.search(ConversationSearch()).rows.map { $0.startedBy?.rawValue ?? "-" }
            #expect(starters == ["-", UserID.localUser.rawValue, "-", "u-bob", "u-annex", "u-bob", "u-ann"])
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func search_byDateAndContexts(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLConversationBrowser(database: $0) }) { browser, database in
            for n in 0..<4 { try await Self.seed(database, id: "a\(n)", at: Int64(n) * 1_000_000) }
            try await Self.seed(database, id: "b0", context: Self.contextB, at: 1_500_000)
            let since = Date(microsecondsSince1970: Self.start + 1_000_000)
            let until = Date(microsecondsSince1970: Self.start + 3_000_000)
            let window = try await browser.search(ConversationSearch(since: since, until: until))
            #expect(window.rows.map(\.conversation.id.rawValue) == ["a2", "b0", "a1"])
            let mine = try await browser.search(ConversationSearch(contexts: [.defaultContext], since: since, until: until))
            #expect(mine.rows.map(\.conversation.id.rawValue) == ["a2", "a1"])
            let theirs = try await browser.search(ConversationSearch(contexts: [Self.contextB]))
            #expect(theirs.rows.map(\.contextName) == ["b"])
            #expect(try await browser.search(ConversationSearch(contexts: [])).rows.isEmpty)
        }
    }
}
