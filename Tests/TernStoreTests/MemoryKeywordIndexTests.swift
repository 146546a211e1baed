import Foundation
import SQLKit
import Synchronization
import Testing
import TernCore

@testable import TernStore

/// The full-text index's upkeep and its join (docs/benchmarks.md, "Issue 18: the keyword index in
/// one piece"): SQLite's FTS5 leaves a segment per write transaction, which
/// `compactKeywordIndex` merges into one when they are worth it, at once or once writes pause;
/// the keyword statement reads each match's context from the covering index of migration 18.
@Suite(.timeLimit(.minutes(1))) struct MemoryKeywordIndexTests {
    /// The FTS5 segments of `memories_fts`.
    static func segments(_ database: any DatabaseHandle) async throws -> Int {
        try await database.read { db in
            try await db.raw("SELECT COUNT(DISTINCT segid) AS n FROM memories_fts_idx").first()?
                .decode(column: "n", as: Int.self) ?? -1
        }
    }

    /// A document of `count` chunks of words no other chunk has (1,500: ~19 leaf pages merged).
    static func ingestDistinct(_ store: SQLMemoryStore, count: Int, source: String) async throws {
        let chunks = (0..<count).map { index in
            MemoryChunk(text: (0..<6).map { "\(source)x\(index)y\($0)" }.joined(separator: " "), embedding: nil)
        }
        _ = try await store.ingest(
            MemoryDocument(source: source, contentHash: "h-\(source)", chunks: chunks), in: .defaultContext)
    }

    /// The leaf pages of each segment, largest first.
    static func segmentPages(_ database: any DatabaseHandle) async throws -> [Int] {
        try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM memories_fts_idx GROUP BY segid ORDER BY n DESC").all()
                .map { try $0.decode(column: "n", as: Int.self) }
        }
    }

    @Test func compactAlways_mergesTheSegmentsIntoOne_andRecallAnswersTheSame() async throws {
        try await SQLBackend.sqlite.withStore({ SQLMemoryStore(database: $0) }) { store, database in
            // One transaction each: one segment each (FTS5 merges one-page segments at the 16th).
            for index in 0..<12 {
                let text = "note \(index) about the zebra number \(index % 5) in pen \(index % 3)"
                _ = try await store.remember(NewMemory(text: text, source: "n\(index)"), in: .defaultContext)
            }
            _ = try await store.remember(NewMemory(text: "a zebra in pen 1", source: "b"), in: SQLBackend.contextB)
            #expect(try await Self.segments(database) == 13)
            let queries = ["zebra number 3", "pen 2", "note 11", "zebra"]
            var answers: [[MemoryID]] = []
            for query in queries {
                answers.append(try await store.recall(MemoryQuery(text: query, k: 8), in: .defaultContext).map(\.memory.id))
            }
            #expect(try await store.compactKeywordIndex(.always))
            #expect(try await Self.segments(database) == 1)
            for (query, answer) in zip(queries, answers) {
                #expect(try await store.recall(MemoryQuery(text: query, k: 8), in: .defaultContext).map(\.memory.id) == answer)
            }
            // The other context's memory is still its own.
            let other = try await store.recall(MemoryQuery(text: "zebra pen", k: 8), in: SQLBackend.contextB)
            #expect(other.map(\.memory.source) == ["b"])
            // Writes after the merge are searched at once.
            let later = try await store.remember(NewMemory(text: "a quagga", source: "q"), in: .defaultContext)
            #expect(try await store.recall(MemoryQuery(text: "quagga"), in: .defaultContext).map(\.memory.id) == [later])
            #expect(try await Self.segments(database) == 2)
        }
    }

    /// A merge rewrites the whole index: a memory added to a large index is not worth one, a
    /// load of a tenth of its size is.
    @Test func compactIfFragmented_mergesALoad_notASingleMemory() async throws {
        try await SQLBackend.sqlite.withStore({ SQLMemoryStore(database: $0) }) { store, database in
            try await Self.ingestDistinct(store, count: 1_500, source: "big")
            #expect(try await store.compactKeywordIndex(.always))
            let merged = try await Self.segmentPages(database)
            #expect(merged.count == 1 && merged[0] >= 15, "\(merged)")
            _ = try await store.remember(NewMemory(text: "one more fact", source: "f"), in: .defaultContext)
            #expect(try await store.compactKeywordIndex(.ifFragmented) == false)
            #expect(try await Self.segments(database) == 2)
            try await Self.ingestDistinct(store, count: 500, source: "load")
            #expect(try await store.compactKeywordIndex(.ifFragmented))
            #expect(try await Self.segments(database) == 1)
        }
    }

    @Test func isFragmented_whenTheRestHoldsATenthOfTheLargest() {
        #expect(!SQLMemoryStore.isFragmented(segmentPages: []))
        #expect(!SQLMemoryStore.isFragmented(segmentPages: [40]))
        #expect(!SQLMemoryStore.isFragmented(segmentPages: [100, 4, 5]))
        #expect(SQLMemoryStore.isFragmented(segmentPages: [100, 4, 6]))
        #expect(SQLMemoryStore.isFragmented(segmentPages: [1, 1]))
    }

    @Test func compactIfDue_waitsForWritesToPause_orForTheFirstToAge() async throws {
        try await SQLBackend.sqlite.withStore({ SQLMemoryStore(database: $0) }) { store, database in
            let soon = KeywordIndexCompaction.ifDue(idle: .zero, longest: .seconds(3600))
            let paused = KeywordIndexCompaction.ifDue(idle: .seconds(3600), longest: .seconds(3600))
            // Nothing written by this store: nothing due.
            #expect(try await store.compactKeywordIndex(soon) == false)
            for index in 0..<3 {
                _ = try await store.remember(NewMemory(text: "fact \(index)", source: "f\(index)"), in: .defaultContext)
            }
            // Written just now: not paused for an hour, and the first write is not an hour old.
            #expect(try await store.compactKeywordIndex(paused) == false)
            #expect(try await Self.segments(database) == 3)
            #expect(try await store.compactKeywordIndex(soon))
            #expect(try await Self.segments(database) == 1)
            #expect(try await store.compactKeywordIndex(soon) == false, "merged writes are not due again")
            // Forgetting goes through the same writes.
            let id = try await store.remember(NewMemory(text: "to forget", source: "x"), in: .defaultContext)
            #expect(try await store.compactKeywordIndex(soon))
            try await store.forget(id, in: .defaultContext)
            #expect(try await store.compactKeywordIndex(soon))
            #expect(try await store.recall(MemoryQuery(text: "forget"), in: .defaultContext).isEmpty)
        }
    }

    /// A merge that fails leaves this store's writes due, so the next check merges them.
    @Test func compactIfDue_afterAFailedMerge_isDueAgain() async throws {
        try await SQLBackend.sqlite.withStore({ FailingWrites(base: $0) }) { failing, _ in
            let store = SQLMemoryStore(database: failing)
            let soon = KeywordIndexCompaction.ifDue(idle: .zero, longest: .seconds(3600))
            for index in 0..<3 {
                _ = try await store.remember(NewMemory(text: "fact \(index)", source: "f\(index)"), in: .defaultContext)
            }
            failing.failWrites(true)
            await #expect(throws: FailingWrites.Refused.self) { try await store.compactKeywordIndex(soon) }
            failing.failWrites(false)
            #expect(try await store.compactKeywordIndex(soon))
        }
    }

    @Test func writesDue_byPauseOrAge_andPutBackAfterAFailedMerge() {
        let writes = KeywordIndexWrites()
        let start = ContinuousClock.now
        #expect(writes.takeIfDue(idle: .zero, longest: .zero, now: start) == nil)
        writes.wrote(at: start)
        writes.wrote(at: start + .seconds(8))
        // Last write 2 s ago, first 10 s ago.
        let now = start + .seconds(10)
        #expect(writes.takeIfDue(idle: .seconds(5), longest: .seconds(60), now: now) == nil)
        let aged = writes.takeIfDue(idle: .seconds(5), longest: .seconds(10), now: now)
        #expect(aged?.first == start && aged?.last == start + .seconds(8))
        #expect(writes.takeAll() == nil)
        // A failed merge puts its writes back, joined with any made meanwhile.
        writes.wrote(at: start + .seconds(9))
        if let aged { writes.putBack(aged) }
        let back = writes.takeAll()
        #expect(back?.first == start && back?.last == start + .seconds(9))
        writes.wrote(at: now)
        #expect(writes.takeIfDue(idle: .seconds(5), longest: .seconds(60), now: now + .seconds(5))?.last == now)
    }

    @Test func compact_onPostgreSQL_hasNothingToMerge() async throws {
        guard SQLBackend.allCases.contains(.postgres) else { return }
        try await SQLBackend.postgres.withStore({ SQLMemoryStore(database: $0) }) { store, _ in
            _ = try await store.remember(NewMemory(text: "a fact", source: "f"), in: .defaultContext)
            #expect(try await store.compactKeywordIndex(.always) == false)
            #expect(try await store.compactKeywordIndex(.ifDue(idle: .zero, longest: .zero)) == false)
        }
    }

    /// After a load on PostgreSQL the planner's row counts are refreshed (it guessed 300 rows for
    /// a context of 10,000 and scanned every vector); SQLite keeps none to refresh.
    @Test(arguments: SQLBackend.allCases)
    func refreshStatistics_countsTheLoadedRows_onPostgreSQL(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLMemoryStore(database: $0) }) { store, database in
            try await Self.ingestDistinct(store, count: 120, source: "load")
            guard backend == .postgres else {
                #expect(try await store.refreshStatistics() == false)
                return
            }
            let estimate = {
                try await database.read { db in
                    try await db.raw("SELECT reltuples::bigint AS n FROM pg_class WHERE relname = 'memories'").first()?
                        .decode(column: "n", as: Int.self)
                }
            }
            #expect(try await estimate() != 120, "analyzed before the refresh")
            #expect(try await store.refreshStatistics())
            #expect(try await estimate() == 120)
        }
    }

    /// The keyword statement's join reads the covering index, not the table's rows (which hold
    /// the vectors); with a filter it reads the rows it filters on.
    @Test func keywordStatement_readsEachMatchsContextFromTheCoveringIndex() async throws {
        try await SQLBackend.sqlite.withStore({ SQLMemoryStore(database: $0) }) { store, database in
            let kept = try await store.remember(NewMemory(text: "the zebra", source: "z"), in: .defaultContext)
            _ = try await store.remember(NewMemory(text: "the zebra", source: "b"), in: SQLBackend.contextB)
            let plan = try await database.read { db in
                try await db.raw(
                    """
                    EXPLAIN QUERY PLAN SELECT m.id FROM memories_fts
                    JOIN memories m INDEXED BY memories_seq_context_idx ON m.seq = memories_fts.rowid
                    WHERE memories_fts MATCH '"zebra"' AND m.context_id = 'x' ORDER BY bm25(memories_fts), m.seq LIMIT 5
                    """
                ).all().map { try $0.decode(column: "detail", as: String.self) }
            }
            #expect(plan.contains { $0.contains("COVERING INDEX memories_seq_context_idx") }, "\(plan)")
            #expect(try await store.recall(MemoryQuery(text: "zebra"), in: .defaultContext).map(\.memory.id) == [kept])
            // The store's own statement names the index: without it, the recall fails.
            try await database.write { db in try await db.raw("DROP INDEX memories_seq_context_idx").run() }
            await #expect(throws: (any Error).self) {
                try await store.recall(MemoryQuery(text: "zebra"), in: .defaultContext)
            }
            // A filtered recall reads the rows (it filters on their columns) and does not need it.
            var filtered = MemoryQuery(text: "zebra")
            filtered.filter = MemoryFilter(sourcePrefix: "z")
            #expect(try await store.recall(filtered, in: .defaultContext).map(\.memory.id) == [kept])
        }
    }
}

/// A database whose plain writes (not transactions) can be made to fail: the merge's, here.
final class FailingWrites: DatabaseHandle, Sendable {
    struct Refused: Error {}
    let base: any DatabaseHandle
    private let failing = Mutex(false)

    init(base: any DatabaseHandle) { self.base = base }

    func failWrites(_ fail: Bool) { failing.withLock { $0 = fail } }

    var dialect: SQLDialectKind { base.dialect }
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await base.read(body)
    }
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if failing.withLock({ $0 }) { throw Refused() }
        return try await base.write(body)
    }
    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await base.transaction(body)
    }
    func withSession<T: Sendable>(_ body: @Sendable (any DatabaseSession) async throws -> T) async throws -> T {
        try await base.withSession(body)
    }
    func close() async throws { try await base.close() }
}
