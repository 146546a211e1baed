import Foundation
import SQLKit
import Synchronization
import Testing
import TernCore

@testable import TernStore

/// The keyword recall's row budget (SQLite and PostgreSQL): the rarest words of a long text are
/// searched, the common ones left out (beside a vector search only while every memory has a
/// vector), a word no memory had when it was counted is still searched, the counts come from the
/// index as it matches words, and no text makes a word that breaks the query's quoting (see
/// docs/memory.md, "Keyword side, long texts").
@Suite(.timeLimit(.minutes(1))) struct MemoryKeywordBudgetTests {
    // MARK: Choosing the words

    @Test func rankedWords_keepsTheRarestWithinTheBudget() {
        let counts = ["common": 900, "often": 300, "rare": 2, "some": 40]
        #expect(
            SQLMemoryStore.rankedWords(
                ["common", "some", "rare", "often"], counts: counts, budget: 400, withVectors: true)
                == ["rare", "some", "often"])
        #expect(
            SQLMemoryStore.rankedWords(["common", "some", "rare", "often"], counts: counts, budget: 100, withVectors: true)
                == ["rare", "some"])
    }

    @Test func rankedWords_searchesWordsCountedZero_withoutCountingThemAgainstTheCap() {
        let words = (0..<12).map { "w\($0)" } + ["new1", "new2"]
        let counts = Dictionary(uniqueKeysWithValues: (0..<12).map { ("w\($0)", $0 + 1) })
        let kept = SQLMemoryStore.rankedWords(words, counts: counts, budget: 10_000, withVectors: true)
        #expect(kept == ["new1", "new2"] + (0..<SQLMemoryStore.maximumRankedWords).map { "w\($0)" })
    }

    /// A word over the budget on its own: left out when the vector side runs, searched when
    /// keyword recall is all there is (then the rarest, ties in the text's order).
    @Test func rankedWords_aLoneCommonWord_dependsOnTheVectorSide() {
        let counts = ["server": 5_000, "help": 5_000, "please": 7_000]
        #expect(
            SQLMemoryStore.rankedWords(["please", "server", "help"], counts: counts, budget: 1_000, withVectors: true)
                .isEmpty)
        #expect(
            SQLMemoryStore.rankedWords(["please", "server", "help"], counts: counts, budget: 1_000, withVectors: false)
                == ["server"])
    }

    /// A Unicode "prepend" letter forms one character with the quote after it; the quote must
    /// not end up in a word (it would end the FTS5 phrase or the PostgreSQL lexeme).
    @Test func queryWords_neverHoldAQuoteOrBackslash() {
        for text in ["\u{0D4E}\" zebra", "\u{111C2}' zebra", "\u{0D4E}\\ zebra", "caf\u{0065}\u{0301} zebra"] {
            let words = SQLMemoryStore.queryWords(text)
            #expect(words.contains("zebra"), "\(text.debugDescription)")
            #expect(!words.contains { $0.contains { "\"'\\".contains($0) } }, "\(text.debugDescription) gave \(words)")
        }
        #expect(SQLMemoryStore.queryWords("caf\u{0065}\u{0301} zebra").first == "caf\u{0065}\u{0301}")
    }

    @Test(arguments: SQLBackend.allCases)
    func recall_ofAPrependLetterAndAQuote_isNoSyntaxError(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLMemoryStore(database: $0) }) { store, _ in
            let zebra = try await store.remember(NewMemory(text: "a zebra", source: "z"), in: .defaultContext)
            for text in ["\u{0D4E}\" zebra", "\u{0D4E}' zebra", "\u{0D4E}\\ zebra"] {
                #expect(try await store.recall(MemoryQuery(text: text), in: .defaultContext).map(\.memory.id) == [zebra])
            }
        }
    }

    // MARK: Counting

    @Test(arguments: SQLBackend.allCases)
    func countStatement_countsEachWord(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLMemoryStore(database: $0, keywordRowBudget: 3) }) { store, database in
            for (index, text) in ["alpha beta", "alpha gamma", "alpha delta", "alpha beta epsilon", "beta"].enumerated() {
                _ = try await store.remember(NewMemory(text: text, source: "t\(index)"), in: .defaultContext)
            }
            let words = ["alpha", "beta", "gamma", "zeta", "delta", "epsilon", "alpha", "eta", "theta"]
            // alpha: 4 matches, counted up to one over the budget of 3.
            let expected = [4, 3, 1, 0, 1, 1, 4, 0, 0]
            for count in 1...words.count {
                let chunk = Array(words.prefix(min(count, SQLMemoryStore.countedWordsPerStatement)))
                let statement =
                    switch backend {
                    case .sqlite: SQLMemoryStore.countStatement(chunk, budget: 3)
                    case .postgres: SQLMemoryStore.postgresCountStatement(chunk, budget: 3, in: .defaultContext)
                    }
                let rows = try await database.read { db in try await db.raw(statement).all() }
                var counted: [Int: Int] = [:]
                for row in rows { counted[try row.decode(column: "i", as: Int.self)] = try row.decode(column: "n", as: Int.self) }
                // SQLite pads to 1, 2, 4 or 8 words (four kept statements); PostgreSQL does not.
                #expect(rows.count == (backend == .sqlite ? [1, 2, 4, 8].first { $0 >= chunk.count } : chunk.count))
                for index in chunk.indices { #expect(counted[index] == expected[index], "\(chunk[index]) of \(chunk)") }
            }
        }
    }

    @Test func termCounts_areKeptForTheirAge_thenCountedAgain() async throws {
        let clock = ManualInstant()
        let counts = MemoryTermCounts(maxAge: .seconds(60), capacity: 3, now: { clock.now })
        let loads = LoadLog()
        func load(_ words: [String]) -> [String: Int] {
            loads.append(words)
            return Dictionary(uniqueKeysWithValues: words.map { ($0, $0.count) })
        }
        #expect(try await counts.counts(of: ["ab", "abc"], load: load) == ["ab": 2, "abc": 3])
        #expect(try await counts.counts(of: ["abc", "abcd"], load: load) == ["abc": 3, "abcd": 4])
        #expect(loads.words == [["ab", "abc"], ["abcd"]])
        clock.advance(.seconds(61))
        _ = try await counts.counts(of: ["ab"], load: load)
        #expect(loads.words.last == ["ab"])
        // Full (3 words): the next new word empties it first.
        _ = try await counts.counts(of: ["x"], load: load)
        #expect(counts.keptCount == 1)
    }

    /// Migration 17: PostgreSQL's GIN index of the memories' words has no pending list, which
    /// every word's lookup would read through (4 ms instead of 0.04 ms after an ingest of 10,000).
    @Test func postgresFullTextIndex_hasNoPendingList() async throws {
        guard SQLBackend.allCases.contains(.postgres) else { return }
        try await SQLBackend.postgres.withStore({ _ in () }) { _, database in
            let options = try await database.read { db in
                try await db.raw("SELECT array_to_string(reloptions, ',') AS options FROM pg_class WHERE relname = 'memories_tsv_idx'")
                    .first()?.decode(column: "options", as: String?.self)
            }
            #expect(options == "fastupdate=off")
        }
    }

    // MARK: Through recall

    /// 40 memories say "server", one says "zebra": with a budget of 5 rows (20 for keyword recall
    /// alone) a recall of both words searches "zebra" alone; with 11 (44) or without a budget it
    /// ranks every "server" memory too.
    @Test(arguments: SQLBackend.allCases)
    func recall_ofALongText_leavesTheCommonWordsOut(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLMemoryStore(database: $0, keywordRowBudget: 5) }) { store, database in
            for index in 0..<40 {
                _ = try await store.remember(NewMemory(text: "the server number \(index)", source: "s"), in: .defaultContext)
            }
            let zebra = try await store.remember(
                NewMemory(text: "the server room has a zebra poster", source: "z"), in: .defaultContext)
            let query = MemoryQuery(text: "Why does the server show a zebra?", k: 10)
            #expect(try await store.recall(query, in: .defaultContext).map(\.memory.id) == [zebra])
            for budget in [11, nil] {
                let hits = try await SQLMemoryStore(database: database, keywordRowBudget: budget)
                    .recall(query, in: .defaultContext)
                #expect(hits.count == 10 && hits.first?.memory.id == zebra, "budget \(budget.map(String.init) ?? "none")")
            }
        }
    }

    /// A word counted 0 (no memory had it) is searched while its count is kept, so a memory
    /// remembered just after is found by the next recall, not a minute later.
    /// Beside a vector search a word over the budget is left to the vectors, but only while
    /// every memory of the context has one: a memory remembered without a vector (the embedding
    /// server was down) is still found by its common word.
    @Test(arguments: SQLBackend.allCases)
    func hybridRecall_leavesACommonWordToTheVectors_unlessAMemoryHasNone(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLMemoryStore(database: $0, keywordRowBudget: 5) }) { store, database in
            for index in 0..<30 {
                _ = try await store.remember(
                    NewMemory(
                        text: "server number \(index)", source: "s",
                        embedding: MemoryEmbedding(vector: [1, Float(index) / 100, 0, 0], model: "m")),
                    in: .defaultContext)
            }
            let query = MemoryQuery(text: "server", embedding: MemoryEmbedding(vector: [0, 0, 1, 0], model: "m"), k: 50)
            let vectorsOnly = try await store.recall(query, in: .defaultContext)
            #expect(vectorsOnly.count == 30 && vectorsOnly.allSatisfy { $0.keywordRank == nil })
            let everyWord = try await SQLMemoryStore(database: database, keywordRowBudget: nil).recall(query, in: .defaultContext)
            #expect(everyWord.contains { $0.keywordRank != nil })
            let plain = try await store.remember(NewMemory(text: "server", source: "no vector"), in: .defaultContext)
            let hits = try await store.recall(query, in: .defaultContext)
            #expect(hits.contains { $0.memory.id == plain && $0.keywordRank != nil })
        }
    }

    /// (`ts_rank` has no inverse document frequency, so on PostgreSQL the quokka memory ties with
    /// the deploy notes and is looked for among all the hits.)
    @Test(arguments: SQLBackend.allCases)
    func recall_findsAWordRememberedAfterItWasCounted(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLMemoryStore(database: $0, keywordRowBudget: 10) }) { store, _ in
            for index in 0..<20 {
                _ = try await store.remember(NewMemory(text: "deploy note \(index)", source: "s"), in: .defaultContext)
            }
            let query = MemoryQuery(text: "deploy quokka", k: 30)
            #expect(try await store.recall(query, in: .defaultContext).count == 20)
            let quokka = try await store.remember(NewMemory(text: "the quokka is the mascot", source: "q"), in: .defaultContext)
            let hits = try await store.recall(query, in: .defaultContext)
            #expect(hits.contains { $0.memory.id == quokka })
            if backend == .sqlite { #expect(hits.first?.memory.id == quokka) }
        }
    }
}

/// A clock moved by hand.
private final class ManualInstant: Sendable {
    private let base = ContinuousClock.now
    private let offset = Mutex<Duration>(.zero)
    var now: ContinuousClock.Instant { base + offset.withLock { $0 } }
    func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
}

/// The words each load was asked for.
private final class LoadLog: Sendable {
    private let log = Mutex<[[String]]>([])
    var words: [[String]] { log.withLock { $0 } }
    func append(_ words: [String]) { log.withLock { $0.append(words) } }
}
