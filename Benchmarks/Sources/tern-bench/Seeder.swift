import Foundation
import SQLKit
import TernCore
import TernStore
import TernTesting

/// One seeded conversation: its lookup key and its one session.
struct SeededConversation: Sendable {
    let platformID: String
    let conversation: ConversationID
    let session: SessionID
    /// Messages in its session.
    let messageCount: Int
}

/// Fills an empty, migrated database with `conversations` conversations of the `default`
/// context (one session each) and `messages` messages spread evenly across them, with bulk
/// multi-row INSERTs inside transactions. Message `k` belongs to conversation `k % conversations`
/// and is 1 ms newer than message `k - 1`, so sessions interleave in insertion order as they
/// would in real traffic.
struct Seeder {
    /// The platform of conversations made through the OpenAI-compatible API.
    static let platform = "openai"
    let database: any DatabaseHandle
    let conversations: Int
    let messages: Int

    /// Rows per INSERT statement (messages have 11 columns: 5,500 binds, under both databases' limits).
    private static let rowsPerStatement = 500
    /// Rows per transaction.
    private static let rowsPerTransaction = 10_000

    func run() async throws -> [SeededConversation] {
        let existing = try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM conversations").first()?.decode(column: "n", as: Int.self)
        }
        if let existing, existing > 0 {
            throw BenchError("the database already holds \(existing) conversations; give tern-bench a new one")
        }
        let context = ContextID.defaultContext.rawValue
        let owner = UserID.localUser.rawValue
        let entries = (0..<conversations).map { index in
            SeededConversation(
                platformID: "\(context)/\(owner)/id/bench-\(index)", conversation: .random(), session: .random(),
                messageCount: messages / conversations + (index < messages % conversations ? 1 : 0))
        }
        let start = Date().microsecondsSince1970 - Int64(messages) * 1_000 - Int64(conversations)
        let clock = ContinuousClock()

        let conversationStart = clock.now
        for batch in stride(from: 0, to: entries.count, by: Self.rowsPerTransaction / 2) {
            let slice = Array(entries[batch..<min(batch + Self.rowsPerTransaction / 2, entries.count)])
            try await database.transaction { db in
                for chunk in stride(from: 0, to: slice.count, by: Self.rowsPerStatement) {
                    let rows = slice[chunk..<min(chunk + Self.rowsPerStatement, slice.count)]
                    let conversations = db.insert(into: "conversations")
                        .columns("id", "context_id", "platform", "platform_id", "created_at")
                    let sessions = db.insert(into: "sessions")
                        .columns("id", "conversation_id", "context_id", "created_at")
                    for (offset, entry) in zip(chunk..., rows) {
                        let time = SQLBind(start + Int64(batch + offset))
                        conversations.values(
                            SQLBind(entry.conversation.rawValue), SQLBind(context), SQLBind(Self.platform),
                            SQLBind(entry.platformID), time)
                        sessions.values(
                            SQLBind(entry.session.rawValue), SQLBind(entry.conversation.rawValue),
                            SQLBind(context), time)
                    }
                    try await conversations.run()
                    try await sessions.run()
                }
            }
        }
        let conversationTime = clock.now - conversationStart
        out("seeded \(conversations) conversations + \(conversations) sessions in \(seconds(conversationTime))")

        var text = TextSource(seed: 0x7465_726E)
        let messageStart = clock.now
        let firstMessageTime = start + Int64(conversations)
        for batch in stride(from: 0, to: messages, by: Self.rowsPerTransaction) {
            let rows = (batch..<min(batch + Self.rowsPerTransaction, messages)).map { k in
                let entry = entries[k % conversations]
                let turn = k / conversations
                let assistant = turn % 2 == 1
                let content = assistant ? text.next(length: 100...1_500) : text.next(length: 20...400)
                return MessageRow(
                    id: MessageID.random().rawValue, session: entry.session.rawValue,
                    role: assistant ? "assistant" : "user", content: content,
                    promptTokens: assistant ? 100 + turn * 60 : nil,
                    completionTokens: assistant ? content.utf8.count / 4 : nil,
                    createdAt: firstMessageTime + Int64(k) * 1_000)
            }
            try await database.transaction { db in
                for chunk in stride(from: 0, to: rows.count, by: Self.rowsPerStatement) {
                    let insert = db.insert(into: "messages").columns(
                        "id", "session_id", "context_id", "role", "content", "tool_data",
                        "prompt_tokens", "completion_tokens", "total_tokens", "status", "created_at")
                    for row in rows[chunk..<min(chunk + Self.rowsPerStatement, rows.count)] {
                        let total = row.promptTokens.flatMap { p in row.completionTokens.map { p + $0 } }
                        insert.values(
                            SQLBind(row.id), SQLBind(row.session), SQLBind(context), SQLBind(row.role),
                            SQLBind(row.content), SQLBind(String?.none), SQLBind(row.promptTokens),
                            SQLBind(row.completionTokens), SQLBind(total), SQLBind("complete"),
                            SQLBind(row.createdAt))
                    }
                    try await insert.run()
                }
            }
            let done = batch + rows.count
            if (batch / Self.rowsPerTransaction + 1) % 10 == 0 || done == messages {
                let elapsed = clock.now - messageStart
                out("  \(done) messages, \(seconds(elapsed)), \(rate(done, elapsed)) rows/s")
            }
        }
        let messageTime = clock.now - messageStart
        out("seeded \(messages) messages in \(seconds(messageTime)) (\(rate(messages, messageTime)) rows/s)")
        return entries
    }
}

/// One message row to insert.
private struct MessageRow: Sendable {
    let id: String
    let session: String
    let role: String
    let content: String
    let promptTokens: Int?
    let completionTokens: Int?
    let createdAt: Int64
}

/// Deterministic filler text: slices of a fixed ASCII paragraph at pseudo-random offsets and lengths.
private struct TextSource {
    private static let paragraph: [UInt8] = {
        let sentence =
            "The quick brown fox jumps over the lazy dog while the agent explains, step by step, "
            + "how to configure the reverse proxy, rotate the API keys and read the retention logs. "
        var bytes: [UInt8] = []
        while bytes.count < 4_096 { bytes += Array(sentence.utf8) }
        return bytes
    }()
    private var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func next(length range: ClosedRange<Int>) -> String {
        let length = Int.random(in: range, using: &random)
        let offset = Int.random(in: 0...(Self.paragraph.count - length), using: &random)
        return String(decoding: Self.paragraph[offset..<(offset + length)], as: UTF8.self)
    }
}
