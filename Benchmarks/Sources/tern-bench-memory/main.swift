// tern-bench-memory: fills a context with N synthetic memories (clustered 384-dimension vectors
// and words), then times recall through SQLMemoryStore and measures recall@10 against exact
// search. See docs/benchmarks.md, "Issue 18: memory recall".
import Foundation
import Logging
import SQLKit
import TernCore
import TernStore

let options: MemoryBenchOptions
do { options = try MemoryBenchOptions.parse(Array(CommandLine.arguments.dropFirst())) } catch {
    FileHandle.standardError.write(Data("tern-bench-memory: \(error)\n".utf8))
    exit(64)
}
var logger = Logger(label: "tern.bench.memory")
logger.logLevel = .warning

do {
    try await withBenchDatabase(options, logger: logger) { database in
        try await Migrator(database: database, logger: logger).migrate()
        let data = SyntheticMemories(
            count: options.memories, dimension: options.dimension, seed: 42, queryWords: options.queryWords,
            zipf: options.zipf)
        let store = SQLMemoryStore(database: database)
        report(
            "tern-bench-memory \(Date().formatted(.iso8601)): \(database.dialect.rawValue), \(options.memories) memories × \(options.dimension) dimensions, \(options.zipf ? "Zipf" : "uniform") words, \(options.queryWords) words a query"
        )
        if let reused = options.reuse {
            report("reusing \(reused) as loaded by an earlier run (no load)")
        } else if options.bulk {
            try await BulkLoad(
                database: database, store: store, data: data, indexMemory: options.indexMemory,
                indexWorkers: options.indexWorkers
            ).run()
        } else {
            try await ingest(data, into: store)
        }
        if database.dialect == .postgres, options.reuse == nil {
            // As `tern memory ingest` does after a load: without it the planner searched every
            // vector exactly until autovacuum analyzed the table.
            let started = ContinuousClock.now
            try await store.refreshStatistics()
            report(String(format: "statistics refreshed (ANALYZE memories) in %.1f ms", milliseconds(ContinuousClock.now - started)))
        }
        if database.dialect == .sqlite {
            let segments = try await keywordSegments(database)
            if options.compact {
                let started = ContinuousClock.now
                try await store.compactKeywordIndex(.always)
                report(
                    String(
                        format: "keyword index: %d segments merged into %d in %.1f ms", segments,
                        try await keywordSegments(database), milliseconds(ContinuousClock.now - started)))
            } else {
                report("keyword index: \(segments) segments, not merged (--compact no)")
            }
        }
        let queries = (0..<options.queries).map { data.query($0) }
        let checked = queries.prefix(options.exactQueries ?? queries.count).map(\.vector)
        let truth = try await exactTopK(checked, k: 10, database: database, data: data)
        var answers: [(label: String, budget: Int?, hybrid: [[MemoryID]])] = []
        for budget in options.keywordBudgets {
            let label = "approximate, keyword budget \(budget.map { "\($0) rows" } ?? "off")"
            let hybrid = try await measure(
                label, store: SQLMemoryStore(database: database, keywordRowBudget: budget), queries: queries,
                truth: truth)
            answers.append((label, budget, hybrid))
        }
        // What leaving words out changed: the hybrid top 10 against searching every word.
        if let all = answers.first(where: { $0.budget == nil }) {
            for answer in answers where answer.budget != nil {
                let shared = zip(answer.hybrid, all.hybrid).map { Set($0).intersection($1).count }.reduce(0, +)
                let total = all.hybrid.map(\.count).reduce(0, +)
                report(
                    "\(answer.label): hybrid top 10 shares \(String(format: "%.3f", Double(shared) / Double(max(1, total)))) of every-word search's"
                )
            }
        }
        if database.dialect == .sqlite, options.exact {
            try await measure("exact scan", store: SQLMemoryStore(database: database, vectorCacheBytes: 0), queries: queries, truth: truth)
        }
    }
} catch {
    FileHandle.standardError.write(Data("tern-bench-memory: \(error)\n".utf8))
    exit(1)
}

/// SQLite: the full-text index's segments.
func keywordSegments(_ database: any DatabaseHandle) async throws -> Int {
    try await database.read { db in
        try await db.raw("SELECT COUNT(DISTINCT segid) AS n FROM memories_fts_idx").first()?.decode(column: "n", as: Int.self)
            ?? 0
    }
}

/// Ingests `data` through `store.ingest` in documents of 500 chunks (Tern's ingest path, the
/// HNSW index maintained row by row on PostgreSQL) and prints the throughput.
func ingest(_ data: SyntheticMemories, into store: SQLMemoryStore) async throws {
    let started = ContinuousClock.now
    var inserted = 0
    for document in 0..<data.documentCount {
        inserted += try await ingestDocument(document, of: data, into: store)
        if inserted % 50_000 == 0 { report("  ingested \(inserted) (\(Int(milliseconds(ContinuousClock.now - started) / 1000)) s)") }
    }
    let ingestSeconds = milliseconds(ContinuousClock.now - started) / 1000
    report(
        String(
            format: "ingest: %d chunks in %.1f s, %.0f chunks/s (no embedding calls)", inserted, ingestSeconds,
            Double(inserted) / ingestSeconds))
}

/// Ingests document `number` of `data` (its chunks `500 × number ..<`) through `store`; returns
/// its chunk count.
func ingestDocument(_ number: Int, of data: SyntheticMemories, into store: SQLMemoryStore) async throws -> Int {
    let chunks = (number * 500..<min(data.count, number * 500 + 500)).map { index in
        MemoryChunk(text: data.text(index), embedding: MemoryEmbedding(vector: data.vector(index), model: "bench"))
    }
    _ = try await store.ingest(
        MemoryDocument(source: "doc-\(number)", contentHash: "h", chunks: chunks), in: .defaultContext)
    return chunks.count
}

/// Times vector-only and hybrid (words + vector) recall of k = 10 and prints recall@10 of the
/// vector-only answers against `truth` (the exact top 10 of the first `truth.count` queries).
@discardableResult
func measure(_ label: String, store: SQLMemoryStore, queries: [BenchQuery], truth: [[MemoryID]]) async throws
    -> [[MemoryID]]
{
    // One warm-up recall loads the SQLite pre-filter's codes (timed separately).
    let warm = ContinuousClock.now
    _ = try await store.recall(
        MemoryQuery(text: "", embedding: MemoryEmbedding(vector: queries[0].vector, model: "bench"), k: 10), in: .defaultContext)
    report("\(label): first recall (loads caches) \(String(format: "%.1f", milliseconds(ContinuousClock.now - warm))) ms")
    var vectorTimes: [Double] = []
    var hybridTimes: [Double] = []
    var keywordTimes: [Double] = []
    var hybridAnswers: [[MemoryID]] = []
    var found = 0
    // Queries whose own memory is among the hits (its two words and a vector near it).
    var sourceInHybrid = 0
    var sourceInKeyword = 0
    for (index, query) in queries.enumerated() {
        let embedding = MemoryEmbedding(vector: query.vector, model: "bench")
        var start = ContinuousClock.now
        let hits = try await store.recall(MemoryQuery(text: "", embedding: embedding, k: 10), in: .defaultContext)
        vectorTimes.append(milliseconds(ContinuousClock.now - start))
        if index < truth.count { found += Set(hits.map(\.memory.id)).intersection(truth[index]).count }
        start = ContinuousClock.now
        let hybrid = try await store.recall(MemoryQuery(text: query.text, embedding: embedding, k: 10), in: .defaultContext)
        hybridTimes.append(milliseconds(ContinuousClock.now - start))
        hybridAnswers.append(hybrid.map(\.memory.id))
        if hybrid.contains(where: { $0.memory.text == query.sourceText }) { sourceInHybrid += 1 }
        start = ContinuousClock.now
        let keyword = try await store.recall(MemoryQuery(text: query.text, k: 10), in: .defaultContext)
        keywordTimes.append(milliseconds(ContinuousClock.now - start))
        if keyword.contains(where: { $0.memory.text == query.sourceText }) { sourceInKeyword += 1 }
    }
    report("\(label): vector-only recall \(percentiles(vectorTimes)); hybrid \(percentiles(hybridTimes))")
    report("\(label): keyword-only recall \(percentiles(keywordTimes))")
    // The same hybrid queries again: the word counts of the keyword side are kept now, as in a
    // conversation whose words recur.
    var againTimes: [Double] = []
    for query in queries {
        let start = ContinuousClock.now
        _ = try await store.recall(
            MemoryQuery(text: query.text, embedding: MemoryEmbedding(vector: query.vector, model: "bench"), k: 10),
            in: .defaultContext)
        againTimes.append(milliseconds(ContinuousClock.now - start))
    }
    report("\(label): hybrid again (word counts kept) \(percentiles(againTimes))")
    report(
        "\(label): the query's own memory in the top 10: hybrid \(sourceInHybrid), keyword-only \(sourceInKeyword) of \(queries.count)"
    )
    report(
        "\(label): recall@10 \(String(format: "%.3f", Double(found) / Double(truth.count * 10))) (\(truth.count) of \(queries.count) queries checked)"
    )
    return hybridAnswers
}

/// The exact 10 nearest memories of each query: pgvector without the index (ORDER BY on the
/// uncast column), or the SQLite store scanning every vector.
func exactTopK(_ queries: [[Float]], k: Int, database: any DatabaseHandle, data: SyntheticMemories) async throws
    -> [[MemoryID]]
{
    let started = ContinuousClock.now
    var truth: [[MemoryID]] = []
    let exact = SQLMemoryStore(database: database, vectorCacheBytes: 0)
    for query in queries {
        switch database.dialect {
        case .sqlite:
            let hits = try await exact.recall(
                MemoryQuery(text: "", embedding: MemoryEmbedding(vector: query, model: "bench"), k: k), in: .defaultContext)
            truth.append(hits.map(\.memory.id))
        case .postgres:
            let literal = "[" + query.map { "\($0)" }.joined(separator: ",") + "]"
            let rows = try await database.read { db in
                try await db.raw(
                    "SELECT id FROM memories ORDER BY embedding <=> \(bind: literal)::vector LIMIT \(literal: k)"
                ).all()
            }
            truth.append(try rows.map { MemoryID(try $0.decode(column: "id", as: String.self)) })
        }
    }
    report(
        String(
            format: "exact top-10 of %d queries (the reference) in %.1f s", queries.count,
            milliseconds(ContinuousClock.now - started) / 1000))
    return truth
}
