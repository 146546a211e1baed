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
            if isWordCharacter(character) {
                current.append(character)
            } else {
                flush()
            }
            if words.count == maximumQueryWords { return words }
        }
        flush()
        return Array(words.prefix(maximumQueryWords))
    }

    /// Whether `character` belongs to a word: a letter or digit all of whose code points are
    /// letters, digits or combining marks. `isLetter` looks at the first code point only, and a
    /// Unicode "prepend" letter (U+0D4E, U+111C2) forms one character with whatever follows it,
    /// a quote or a backslash included, which would end the quoted phrase or lexeme early.
    static func isWordCharacter(_ character: Character) -> Bool {
        guard character.isLetter || character.isNumber else { return false }
        return character.unicodeScalars.allSatisfy { scalar in
            let properties = scalar.properties
            switch properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: return true
            default: return properties.isAlphabetic || properties.numericType != nil
            }
        }
    }

    /// An FTS5 query matching any of `words`, each a quoted string (so `AND`, `OR`, `NEAR` are
    /// words, not operators); `nil` when there are none.
    static func fts5Query(_ words: [String]) -> String? {
        guard !words.isEmpty else { return nil }
        return words.map { "\"\($0)\"" }.joined(separator: " OR ")
    }

    /// Words ranked at most by one keyword recall, besides those no memory has.
    static let maximumRankedWords = 8

    /// How many times ``keywordRowBudget`` rows a keyword recall without a vector search may rank:
    /// then it is the whole answer, not the complement of the vectors for rare words.
    static let keywordOnlyBudgetFactor = 4

    /// The words a keyword recall searches, rarest first: FTS5 ranks every row matching any of
    /// them (before the context and the limit apply), PostgreSQL every matching row of the
    /// context, so the search is kept to the rarest words whose counts add up to at most `budget`
    /// rows, and to ``maximumRankedWords`` of them.
    /// A common word says little about which memory is meant (bm25 weighs it least) and the
    /// vector side finds by meaning; a rare one (a name, a code, a term) is what the keyword side
    /// is for. See ``MemoryTermCounts``.
    ///
    /// - Parameters:
    ///   - counts: how many memories each word matches in the whole index (a missing word counts 0).
    ///   - withVectors: whether a vector search runs too and covers every memory of the context
    ///     (none is without a vector). Then a word over the budget on its own is not searched
    ///     (there may be nothing left to search); otherwise the rarest word is always searched,
    ///     so keyword recall alone still answers, and finds memories that have no vector.
    static func rankedWords(_ words: [String], counts: [String: Int], budget: Int, withVectors: Bool) -> [String] {
        let ordered = words.enumerated().sorted {
            (counts[$0.element] ?? 0, $0.offset) < (counts[$1.element] ?? 0, $1.offset)
        }
        var kept: [String] = []
        var rows = 0
        var ranked = 0
        for (_, word) in ordered {
            let count = counts[word] ?? 0
            // No memory has it (yet, by a count up to a minute old): free to search.
            if count == 0 {
                kept.append(word)
                continue
            }
            if ranked == maximumRankedWords || (rows + count > budget && (withVectors || ranked > 0)) { break }
            kept.append(word)
            rows += count
            ranked += 1
        }
        return kept
    }

    /// A PostgreSQL `to_tsquery` text matching any of `words`, each a quoted lexeme; `nil` when
    /// there are none.
    static func tsQuery(_ words: [String]) -> String? {
        guard !words.isEmpty else { return nil }
        return words.map { "'\($0)'" }.joined(separator: " | ")
    }

    /// The IDs of the context's memories matching `text`, best first (bm25 / `ts_rank`).
    /// `withVectors`: whether a vector search runs beside it (see ``rankedWords(_:counts:budget:withVectors:)``).
    func keywordMatches(
        _ text: String, filter: MemoryFilter, limit: Int, withVectors: Bool, in context: ContextID
    ) async throws -> [MemoryID] {
        let dialect = database.dialect
        let words = try await searchedWords(Self.queryWords(text), withVectors: withVectors, in: context)
        let query: String? =
            switch dialect {
            case .sqlite: Self.fts5Query(words)
            case .postgres: Self.tsQuery(words)
            }
        // No words, no statement (a vector-only recall costs no keyword read).
        guard let query else { return [] }
        let rows = try await database.read { db -> [any SQLRow] in
            switch dialect {
            case .sqlite:
                // Without a filter each match's context and ID come from the small covering
                // index (migration 18), not the table's scattered rows; a filter reads the row.
                let join = filter == MemoryFilter() ? "memories m INDEXED BY memories_seq_context_idx" : "memories m"
                return try await db.raw(
                    """
                    SELECT m.id FROM memories_fts JOIN \(unsafeRaw: join) ON m.seq = memories_fts.rowid
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

    /// The words of `words` to search, by ``rankedWords(_:counts:budget:withVectors:)`` with the
    /// counts of ``termCounts`` (all of them without a ``keywordRowBudget``): within
    /// ``keywordRowBudget`` rows beside a vector search, ``keywordOnlyBudgetFactor`` times as
    /// many without one. SQLite counts a word's matches in every context (FTS5 ranks them all
    /// before the context filter), PostgreSQL in `context` (`ts_rank` runs on its rows only).
    func searchedWords(_ words: [String], withVectors: Bool, in context: ContextID) async throws -> [String] {
        // A lone word of a keyword-only recall is searched whatever it counts.
        guard let budget = keywordRowBudget, withVectors || words.count > 1 else { return words }
        // Keyword recall alone carries the whole answer: it may rank more rows.
        let cap = budget * Self.keywordOnlyBudgetFactor
        let dialect = database.dialect
        // Counts are kept by word on SQLite, by context and word on PostgreSQL.
        let scope = dialect == .sqlite ? "" : context.rawValue + " "
        let keys = words.map { scope + $0 }
        let wordOfKey = Dictionary(zip(keys, words)) { first, _ in first }
        let kept = try await termCounts.counts(of: keys) { missing in
            try await database.read { db in
                var counts: [String: Int] = [:]
                for start in stride(from: 0, to: missing.count, by: Self.countedWordsPerStatement) {
                    let chunk = Array(missing[start..<min(start + Self.countedWordsPerStatement, missing.count)])
                    let chunkWords = chunk.map { wordOfKey[$0] ?? $0 }
                    let statement =
                        switch dialect {
                        case .sqlite: Self.countStatement(chunkWords, budget: cap)
                        case .postgres: Self.postgresCountStatement(chunkWords, budget: cap, in: context)
                        }
                    for row in try await db.raw(statement).all() {
                        let index = try row.decode(column: "i", as: Int.self)
                        if chunk.indices.contains(index) { counts[chunk[index]] = try row.decode(column: "n", as: Int.self) }
                    }
                }
                return counts
            }
        }
        let counts = Dictionary(zip(words, keys.map { kept[$0] ?? 0 })) { first, _ in first }
        return Self.rankedWords(words, counts: counts, budget: withVectors ? budget : cap, withVectors: withVectors)
    }

    /// Words counted by one statement at most.
    static let countedWordsPerStatement = 8

    /// One statement counting how many memories each of `words` (at most
    /// ``countedWordsPerStatement``) matches, each up to one over `budget` (a common word's count
    /// stops there): rows `(i, n)` for the word at index `i`. It is written for 1, 2, 4 or 8
    /// words, the rest padded with the empty phrase (which matches nothing), so that a connection
    /// keeps four such statements, not one per word count.
    static func countStatement(_ words: [String], budget: Int) -> SQLQueryString {
        let arity = [1, 2, 4, 8].first { $0 >= words.count } ?? words.count
        return (0..<arity).map { index -> SQLQueryString in
            let phrase = index < words.count ? "\"\(words[index])\"" : "\"\""
            return """
                SELECT \(literal: index) AS i, (SELECT COUNT(*) FROM (SELECT 1 FROM memories_fts \
                WHERE memories_fts MATCH \(bind: phrase) LIMIT \(literal: budget + 1))) AS n
                """
        }.joined(separator: " UNION ALL ")
    }

    /// ``countStatement(_:budget:)`` for PostgreSQL, counting in `context`'s memories (one row
    /// per word, no padding: PostgreSQL keeps no statements between calls here).
    static func postgresCountStatement(_ words: [String], budget: Int, in context: ContextID) -> SQLQueryString {
        words.indices.map { index -> SQLQueryString in
            """
            SELECT \(literal: index) AS i, (SELECT COUNT(*) FROM (SELECT 1 FROM memories \
            WHERE context_id = \(bind: context.rawValue) AND tsv @@ to_tsquery('english', \(bind: "'\(words[index])'")) \
            LIMIT \(literal: budget + 1)) AS matched) AS n
            """
        }.joined(separator: " UNION ALL ")
    }
}
