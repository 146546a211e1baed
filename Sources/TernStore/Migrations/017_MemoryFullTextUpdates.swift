import TernCore

extension Migration {
    /// PostgreSQL: the memories' full-text index (`memories_tsv_idx`, GIN) takes new rows into
    /// its tree at once instead of a pending list (`fastupdate = off`).
    ///
    /// With GIN's default `fastupdate = on`, rows written since the last vacuum wait in a pending
    /// list that every search reads from start to end: after an ingest of 10,000 memories each
    /// word's lookup took 4 ms instead of 0.04 ms, until autovacuum got to the table, and a
    /// recall looks up every word of a turn's text (docs/benchmarks.md, "Issue 18: the keyword
    /// side of long turn texts"). Memories are written when remembered or ingested and searched
    /// on every turn, so the write pays instead. The pending list already there is merged into
    /// the tree by the migration. SQLite has nothing to change (FTS5 merges its own segments).
    static let memoryFullTextUpdates = Migration(
        version: 17, name: "memory full-text index without a pending list",
        up: { dialect in
            switch dialect {
            case .sqlite: []
            case .postgres:
                [
                    "ALTER INDEX memories_tsv_idx SET (fastupdate = off)",
                    "SELECT gin_clean_pending_list('memories_tsv_idx'::regclass)",
                ]
            }
        },
        down: { dialect in
            switch dialect {
            case .sqlite: []
            case .postgres: ["ALTER INDEX memories_tsv_idx RESET (fastupdate)"]
            }
        }
    )
}
