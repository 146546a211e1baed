import Foundation
import Logging
import SQLKit
import TernCore
import TernStore

/// Command-line options, parsed by hand (see `usage`).
struct MemoryBenchOptions: Sendable {
    var database = ""
    var memories = 10_000
    var dimension = 384
    var queries = 200
    /// SQLite: also time the exact scan (no pre-filter).
    var exact = false
    /// How many of the queries are checked against the exact top 10 (all when nil): the exact
    /// scan of 1M pgvector rows takes seconds a query.
    var exactQueries: Int?
    /// PostgreSQL: load without the HNSW index, then build it once (see ``BulkLoad``).
    var bulk = false
    /// Bulk mode: `maintenance_work_mem` for the index build.
    var indexMemory = "6GB"
    /// Bulk mode: `max_parallel_maintenance_workers` for the index build.
    var indexWorkers = 1
    /// PostgreSQL: keep the benchmark database afterwards (for `EXPLAIN` by hand) instead of dropping it.
    var keep = false
    /// PostgreSQL: run the queries against this database kept by an earlier run of the same
    /// `--memories` (no load, nothing dropped).
    var reuse: String?
    /// Words in a query's text: two of the memory's own, the rest drawn like the memories' words
    /// (a turn's text has 10-30).
    var queryWords = 2
    /// Memories' words drawn with Zipf's law (a few words in most memories, as in real text)
    /// instead of uniformly from the vocabulary.
    var zipf = false
    /// SQLite: merge the full-text index's segments after the load, as `tern memory ingest`
    /// does (`no`: leave the segments the load's transactions made).
    var compact = true
    /// SQLite: the keyword row budgets measured, one pass each (`nil`: every word searched).
    var keywordBudgets: [Int?] = [SQLMemoryStore.defaultKeywordRowBudget]

    static let usage = """
        usage: tern-bench-memory --database sqlite:PATH|postgres://ADMIN-URL [--memories 10000]
                                 [--dimension 384] [--queries 200] [--exact yes] [--exact-queries N]
                                 [--bulk yes [--index-memory 6GB] [--index-workers 1]] [--keep yes] [--reuse NAME]
                                 [--query-words 2] [--zipf yes] [--keyword-budgets 300,off] [--compact no]
        SQLite: PATH must not exist. PostgreSQL: the URL's user must be allowed to CREATE DATABASE;
        a database tern_bench_memory_<random> is made and dropped.
        --exact-queries: check recall@10 on the first N queries only (all are timed).
        --bulk yes (PostgreSQL): load through the store without the HNSW index, then build it with
        one CREATE INDEX (maintenance_work_mem --index-memory, --index-workers parallel workers).
        --keep yes (PostgreSQL): keep the database afterwards and print its name; drop it yourself.
        --reuse NAME (PostgreSQL): query a database kept by a run with the same --memories; no load.
        --query-words N: words in a query's text, two of the memory's and N-2 drawn like the memories'.
        --zipf yes: the memories' words follow Zipf's law over the 5,000-word vocabulary (uniform by default).
        --keyword-budgets LIST: measure once per keyword row budget (off: every word searched).
        --compact no (SQLite): do not merge the full-text index after the load (tern memory ingest does).
        """

    /// The numeric options, by flag (key paths are immutable values; the dictionary is never changed).
    nonisolated(unsafe) static let numbers: [String: WritableKeyPath<MemoryBenchOptions, Int>] = [
        "--memories": \.memories, "--dimension": \.dimension, "--queries": \.queries,
        "--index-workers": \.indexWorkers, "--query-words": \.queryWords,
    ]

    /// The yes/no options, by flag.
    nonisolated(unsafe) static let switches: [String: WritableKeyPath<MemoryBenchOptions, Bool>] = [
        "--exact": \.exact, "--bulk": \.bulk, "--keep": \.keep, "--zipf": \.zipf,
        "--compact": \.compact,
    ]

    static func parse(_ arguments: [String]) throws -> MemoryBenchOptions {
        var options = MemoryBenchOptions()
        for pair in stride(from: 0, to: arguments.count, by: 2) {
            let flag = arguments[pair]
            guard pair + 1 < arguments.count else { throw MemoryBenchError("\(flag) needs a value\n\(usage)") }
            let value = arguments[pair + 1]
            if let field = numbers[flag] {
                guard let number = Int(value.replacingOccurrences(of: "_", with: "")), number > 0 else {
                    throw MemoryBenchError("\(flag) needs a positive whole number, got \(value)")
                }
                options[keyPath: field] = number
            } else if flag == "--database" {
                options.database = value
            } else if let field = switches[flag] {
                guard value == "yes" || value == "no" else { throw MemoryBenchError("\(flag) needs yes or no, got \(value)") }
                options[keyPath: field] = value == "yes"
            } else if flag == "--exact-queries" {
                guard let number = Int(value), number > 0 else {
                    throw MemoryBenchError("--exact-queries needs a positive whole number, got \(value)")
                }
                options.exactQueries = number
            } else if flag == "--reuse" {
                guard value.range(of: #"^tern_bench_memory_[0-9]+$"#, options: .regularExpression) != nil else {
                    throw MemoryBenchError("--reuse needs a database name tern_bench_memory_<number>, got \(value)")
                }
                options.reuse = value
            } else if flag == "--keyword-budgets" {
                options.keywordBudgets = try value.split(separator: ",").map { item -> Int? in
                    if item == "off" { return nil }
                    guard let number = Int(item), number > 0 else {
                        throw MemoryBenchError("--keyword-budgets needs positive whole numbers or off, got \(item)")
                    }
                    return number
                }
            } else if flag == "--index-memory" {
                guard value.range(of: #"^[0-9]+(kB|MB|GB)$"#, options: .regularExpression) != nil else {
                    throw MemoryBenchError("--index-memory needs a size like 6GB or 512MB, got \(value)")
                }
                options.indexMemory = value
            } else {
                throw MemoryBenchError("unknown option \(flag)\n\(usage)")
            }
        }
        if options.database.isEmpty { throw MemoryBenchError("--database is required\n\(usage)") }
        if options.reuse != nil, options.database.hasPrefix("sqlite:") {
            throw MemoryBenchError("--reuse needs a PostgreSQL database")
        }
        if options.bulk, options.database.hasPrefix("sqlite:") {
            throw MemoryBenchError("--bulk yes needs a PostgreSQL database (SQLite has no HNSW index to build)")
        }
        return options
    }
}

/// A failure reported as `tern-bench-memory: <message>`.
struct MemoryBenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Opens the database of `options` for `body`; on PostgreSQL in a fresh database dropped afterwards.
func withBenchDatabase(
    _ options: MemoryBenchOptions, logger: Logger, _ body: (any DatabaseHandle) async throws -> Void
) async throws {
    if options.database.hasPrefix("sqlite:") {
        let path = String(options.database.dropFirst(7))
        return try await closing(try await SQLiteDatabase.open(path: path, logger: logger), body)
    }
    var url = try PostgresURL(parsing: options.database)
    if let reuse = options.reuse {
        url.database = reuse
        return try await closing(try await PostgresDatabase.open(url: url.secretURLString, logger: logger), body)
    }
    let admin = try await PostgresDatabase.open(url: url.secretURLString, logger: logger, maximumConnections: 1)
    let name = "tern_bench_memory_\(UInt32.random(in: 0...UInt32.max))"
    try await admin.write { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
    url.database = name
    var failure: (any Error)?
    do {
        let database = try await PostgresDatabase.open(url: url.secretURLString, logger: logger)
        do { try await body(database) } catch { failure = error }
        try await database.close()
    } catch { failure = failure ?? error }
    if options.keep {
        report("kept database \(name) (--keep yes): drop it with DROP DATABASE \(name)")
    } else {
        try await admin.write { db in try await db.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run() }
    }
    try await admin.close()
    if let failure { throw failure }
}

/// Runs `body` on `database`, then closes it, whether `body` threw or not.
func closing(_ database: any DatabaseHandle, _ body: (any DatabaseHandle) async throws -> Void) async throws {
    do { try await body(database) } catch {
        try await database.close()
        throw error
    }
    try await database.close()
}

/// One query: a vector near a stored memory's and two of its words.
struct BenchQuery: Sendable {
    var vector: [Float]
    var text: String
    /// The text of the memory it was made from.
    var sourceText: String
}

/// Deterministic memories that look like embeddings: vectors scattered around `count / 100`
/// cluster centres (real embeddings cluster by topic; uniformly random vectors have no
/// meaningful neighbours), texts of words from a 5,000-word vocabulary.
struct SyntheticMemories: Sendable {
    let count: Int
    let dimension: Int
    let seed: UInt64
    let centres: [[Float]]
    /// Words in the query's text (see ``MemoryBenchOptions/queryWords``).
    let queryWords: Int
    /// With Zipf's law: the cumulative share of words 0...i; `nil`: uniform.
    let zipfCumulative: [Double]?
    static let vocabulary = 5000

    init(count: Int, dimension: Int, seed: UInt64, queryWords: Int = 2, zipf: Bool = false) {
        self.count = count
        self.dimension = dimension
        self.seed = seed
        self.queryWords = max(2, queryWords)
        var random = Random(seed: seed)
        centres = (0..<max(1, count / 100)).map { _ in (0..<dimension).map { _ in random.gaussian() } }
        if zipf {
            var sum = 0.0
            let cumulative = (1...Self.vocabulary).map { rank in
                sum += 1 / Double(rank)
                return sum
            }
            zipfCumulative = cumulative.map { $0 / sum }
        } else {
            zipfCumulative = nil
        }
    }

    /// One word drawn from the vocabulary, uniformly or by Zipf's law.
    private func word(_ random: inout Random) -> String {
        guard let cumulative = zipfCumulative else { return "w\(random.next() % UInt64(Self.vocabulary))" }
        let u = Double(random.next() >> 11) / Double(1 << 53)
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < u { low = middle + 1 } else { high = middle }
        }
        return "w\(low)"
    }

    /// Documents of 500 chunks (the last one shorter), as the benchmark ingests them.
    var documentCount: Int { (count + 499) / 500 }

    func vector(_ index: Int) -> [Float] {
        var random = Random(seed: seed &+ UInt64(index) &* 7919)
        let centre = centres[Int(random.next() % UInt64(centres.count))]
        return normalized(centre.map { $0 + 0.8 * random.gaussian() })
    }

    func text(_ index: Int) -> String {
        var random = Random(seed: seed ^ UInt64(index) &* 104_729)
        return (0..<12).map { _ in word(&random) }.joined(separator: " ")
    }

    func query(_ number: Int) -> BenchQuery {
        var random = Random(seed: seed &+ 1_000_003 &* UInt64(number + 1))
        let index = Int(random.next() % UInt64(count))
        let words = text(index).split(separator: " ")
        let others = (2..<queryWords).map { _ in word(&random) }
        return BenchQuery(
            vector: normalized(vector(index).map { $0 + 0.03 * random.gaussian() }),
            text: ([String(words[0]), String(words[1])] + others).joined(separator: " "), sourceText: text(index))
    }

    private func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        return vector.map { $0 / norm }
    }
}

/// SplitMix64, with Box–Muller for normal deviates.
struct Random {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func gaussian() -> Float {
        let u1 = max(Double(next() >> 11) / Double(1 << 53), 1e-12)
        let u2 = Double(next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}

/// Writes a line to standard output at once, so progress shows through a pipe.
func report(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// Milliseconds in `duration`.
func milliseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1000 + Double(attoseconds) / 1e15
}

/// `p50 … p99 … max` in milliseconds.
func percentiles(_ values: [Double]) -> String {
    let sorted = values.sorted()
    func at(_ fraction: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))] }
    return String(format: "p50 %.2f ms, p99 %.2f ms, max %.2f ms", at(0.5), at(0.99), sorted.last ?? 0)
}
