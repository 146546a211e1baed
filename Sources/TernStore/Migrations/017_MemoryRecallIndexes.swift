import TernCore

extension Migration {
    /// What a recall needs to stay cheap with long texts (docs/benchmarks.md, "Issue 18: the
    /// keyword side of long turn texts"):
    ///
    /// - `memories_unembedded_idx`: the memories without a vector, by context. A recall leaves a
    ///   common word of its text to the vector side only when every memory of the context has a
    ///   vector (one remembered while the embedding server was down has none and is found by its
    ///   words alone); this index answers "does the context have any without?" at once, where the
    ///   context's index would read every row of a fully embedded context.
    /// - PostgreSQL: the memories' full-text index (`memories_tsv_idx`, GIN) takes new rows into
    ///   its tree at once instead of a pending list (`fastupdate = off`). With GIN's default
    ///   `fastupdate = on`, rows written since the last vacuum wait in a pending list that every
    ///   search reads from start to end: after an ingest of 10,000 memories each word's lookup
    ///   took 4 ms instead of 0.04 ms until autovacuum got to the table, and a recall looks up
    ///   every word of a turn's text. (The ingest measured no slower without it.) The pending list
    ///   already there is merged into the tree here. SQLite's FTS5 merges its own segments.
    static let memoryRecallIndexes = Migration(
        version: 17, name: "memory recall indexes",
        up: { dialect in
            let unembedded = "CREATE INDEX memories_unembedded_idx ON memories (context_id) WHERE dimension IS NULL"
            switch dialect {
            case .sqlite: return [unembedded]
            case .postgres:
                return [
                    unembedded, "ALTER INDEX memories_tsv_idx SET (fastupdate = off)",
                    "SELECT gin_clean_pending_list('memories_tsv_idx'::regclass)",
                ]
            }
        },
        down: { dialect in
            let unembedded = "DROP INDEX memories_unembedded_idx"
            switch dialect {
            case .sqlite: return [unembedded]
            case .postgres: return ["ALTER INDEX memories_tsv_idx RESET (fastupdate)", unembedded]
            }
        }
    )
}
