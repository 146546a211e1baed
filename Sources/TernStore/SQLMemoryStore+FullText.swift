import SQLKit
import TernCore

extension SQLMemoryStore {
    /// Words searched at most per query.
    static let maximumQueryWords = 32

    /// English words too common to search for: matched with OR, "is" or "the" would make every
    /// memory a keyword hit. (PostgreSQL's `english` configuration drops the same kind itself.)
    static let stopWords: Set<String> = [
        "a", "about", "after", "again", "all", "am", "an", "and", "any", "are", "as", "at", "be", "because",
        "been", "before", "being", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing",
        "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
        "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "more",
        "most", "my", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "out",
        "over", "own", "s", "same", "she", "should", "so", "some", "such", "t", "than", "that", "the", "their",
        "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up",
        "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will",
        "with", "would", "you", "your", "yours",
    ]

    /// The words of a user's query: runs of letters and digits, lowercased, without
    /// ``stopWords``, first occurrence kept, at most ``maximumQueryWords``. Everything else
    /// (quotes, `*`, `-`, `:`, parentheses, `AND`/`NEAR` as operators) is a separator, so no
    /// text can be a syntax error.
    static func queryWords(_ text: String) -> [String] {
        var words: [String] = []
        var seen: Set<String> = []
        var current = ""
        func flush() {
            if !current.isEmpty, !stopWords.contains(current), seen.insert(current).inserted { words.append(current) }
            current = ""
        }
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else {
                flush()
            }
            if words.count == maximumQueryWords { return words }
        }
        flush()
        return Array(words.prefix(maximumQueryWords))
    }

    /// An FTS5 query matching any of the words, each a quoted string (so `AND`, `OR`, `NEAR`
    /// are words, not operators); `nil` when there are none.
    static func fts5Query(_ text: String) -> String? {
        let words = queryWords(text)
        guard !words.isEmpty else { return nil }
        return words.map { "\"\($0)\"" }.joined(separator: " OR ")
    }

    /// A PostgreSQL `to_tsquery` text matching any of the words, each a quoted lexeme; `nil`
    /// when there are none.
    static func tsQuery(_ text: String) -> String? {
        let words = queryWords(text)
        guard !words.isEmpty else { return nil }
        return words.map { "'\($0)'" }.joined(separator: " | ")
    }

    /// The IDs of the context's memories matching `text`, best first (bm25 / `ts_rank`).
    func keywordMatches(_ text: String, filter: MemoryFilter, limit: Int, in context: ContextID) async throws
        -> [MemoryID]
    {
        let dialect = database.dialect
        // No words, no statement (a vector-only recall costs no keyword read).
        guard let query = dialect == .sqlite ? Self.fts5Query(text) : Self.tsQuery(text) else { return [] }
        let rows = try await database.read { db -> [any SQLRow] in
            switch dialect {
            case .sqlite:
                return try await db.raw(
                    """
                    SELECT m.id FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
                    WHERE memories_fts MATCH \(bind: query) AND m.context_id = \(bind: context.rawValue)\
                    \(Self.filterSQL(filter, table: "m"))
                    ORDER BY bm25(memories_fts), m.seq LIMIT \(literal: limit)
                    """
                ).all()
            case .postgres:
                return try await db.raw(
                    """
                    SELECT m.id FROM memories m, to_tsquery('english', \(bind: query)) q
                    WHERE m.context_id = \(bind: context.rawValue) AND m.tsv @@ q\(Self.filterSQL(filter, table: "m"))
                    ORDER BY ts_rank(m.tsv, q) DESC, m.seq LIMIT \(literal: limit)
                    """
                ).all()
            }
        }
        return try rows.map { MemoryID(try $0.decode(column: "id", as: String.self)) }
    }
}
