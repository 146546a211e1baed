import Foundation
import SQLKit
import TernCore
import TernStore

/// Bulk mode (`--bulk yes`, PostgreSQL only): a benchmark shortcut for large N, not Tern's ingest
/// path. The first document goes through `SQLMemoryStore.ingest` as usual, which records the
/// context's model and dimension and creates the dimension's HNSW index exactly as Tern defines
/// it; that definition is read back from `pg_indexes`, the index is dropped, every other document
/// goes through the same `ingest` (so the rows, tsvector and other indexes are what Tern stores)
/// without the HNSW index being maintained row by row, then `VACUUM ANALYZE` and one
/// `CREATE INDEX` with the saved definition build it in one pass. Each phase is timed apart.
struct BulkLoad {
    let database: any DatabaseHandle
    let store: SQLMemoryStore
    let data: SyntheticMemories
    /// `maintenance_work_mem` for the build, e.g. `6GB`: enough to build the graph in memory.
    let indexMemory: String
    /// `max_parallel_maintenance_workers` for the build.
    let indexWorkers: Int

    /// The HNSW index Tern makes for this data's dimension.
    var indexName: String { "memories_embedding_hnsw_\(data.dimension)" }

    /// Loads every memory of `data` and builds the index, reporting each phase.
    func run() async throws {
        guard database.dialect == .postgres else { throw MemoryBenchError("--bulk yes needs a PostgreSQL database") }
        let started = ContinuousClock.now
        var inserted = try await ingestDocument(0, of: data, into: store)
        let definition = try await database.read { db in
            try await db.raw(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'memories' AND indexname = \(bind: indexName)"
            ).first()?.decode(column: "indexdef", as: String.self)
        }
        guard let definition else {
            throw MemoryBenchError("the first ingest did not create \(indexName); is pgvector's HNSW available?")
        }
        report("bulk: Tern's index, saved and dropped for the load: \(definition)")
        try await database.write { db in try await db.raw("DROP INDEX \(unsafeRaw: indexName)").run() }
        for document in 1..<data.documentCount {
            inserted += try await ingestDocument(document, of: data, into: store)
            if inserted % 50_000 == 0 {
                report("  loaded \(inserted) (\(Int(milliseconds(ContinuousClock.now - started) / 1000)) s)")
            }
        }
        let loadSeconds = milliseconds(ContinuousClock.now - started) / 1000
        report(
            String(
                format: "bulk load (no HNSW index): %d chunks in %.1f s, %.0f chunks/s", inserted, loadSeconds,
                Double(inserted) / loadSeconds))
        var phase = ContinuousClock.now
        try await database.write { db in try await db.raw("VACUUM ANALYZE memories").run() }
        report(String(format: "VACUUM ANALYZE memories: %.1f s", milliseconds(ContinuousClock.now - phase) / 1000))
        phase = ContinuousClock.now
        try await database.transaction { db in
            try await db.raw("SET LOCAL maintenance_work_mem = '\(unsafeRaw: indexMemory)'").run()
            try await db.raw("SET LOCAL max_parallel_maintenance_workers = \(literal: indexWorkers)").run()
            try await db.raw("\(unsafeRaw: definition)").run()
        }
        report(
            String(
                format: "CREATE INDEX (maintenance_work_mem %@, max_parallel_maintenance_workers %d): %.1f s",
                indexMemory, indexWorkers, milliseconds(ContinuousClock.now - phase) / 1000))
        try await reportSizes()
    }

    /// Prints the sizes on disk of the table (with TOAST), its indexes, the HNSW index and the database.
    func reportSizes() async throws {
        let row = try await database.read { db in
            try await db.raw(
                """
                SELECT pg_size_pretty(pg_table_size('memories')) AS heap,
                pg_size_pretty(pg_indexes_size('memories')) AS indexes,
                pg_size_pretty(pg_relation_size(\(bind: indexName)::regclass)) AS hnsw,
                pg_size_pretty(pg_database_size(current_database())) AS database
                """
            ).first()
        }
        guard let row else { throw MemoryBenchError("the size query returned no row") }
        report(
            "sizes: memories table \(try row.decode(column: "heap", as: String.self)), its indexes "
                + "\(try row.decode(column: "indexes", as: String.self)) (HNSW \(try row.decode(column: "hnsw", as: String.self))), "
                + "database \(try row.decode(column: "database", as: String.self))")
    }
}
