import TernCore

extension Migration {
    /// SQLite: `memories_seq_context_idx` on `memories (seq, context_id, id)`, the columns a
    /// keyword recall reads for each full-text match (its context, to keep other contexts' rows
    /// out, and its ID). The full-text index gives row numbers; looking each up in the table read
    /// one scattered table page per match (a memory's row holds its vector, two to a page), up to
    /// 300 pages a recall, which pushed the full-text index's own pages out of the reader's page
    /// cache, so each recall read them again from the file. This index is ~70 bytes a memory and
    /// stays cached (docs/benchmarks.md, "Issue 18: the keyword index in one piece").
    /// The keyword statement names it (`INDEXED BY`) so the plan does not depend on statistics.
    /// PostgreSQL ranks in the table's own rows (`tsv`) and needs nothing here.
    static let memoryKeywordJoinIndex = Migration(
        version: 18, name: "memory keyword join index",
        up: { dialect in
            switch dialect {
            case .sqlite: return ["CREATE INDEX memories_seq_context_idx ON memories (seq, context_id, id)"]
            case .postgres: return []
            }
        },
        down: { dialect in
            switch dialect {
            case .sqlite: return ["DROP INDEX memories_seq_context_idx"]
            case .postgres: return []
            }
        }
    )
}
