import TernCore

extension Migration {
    /// Long-term memory per context (issue 18): `memory_settings`, `memory_documents`, `memories`.
    ///
    /// `memories` holds remembered facts and document chunks (`document_id`, `chunk_index`; a
    /// document's chunks go with it). `seq` is a monotonic row number (SQLite `AUTOINCREMENT`, so
    /// never reused; it is the FTS5 rowid and lets the SQLite store's in-process vector codes
    /// load only rows added since it last looked); `id` is the public ID. `content_hash` is the
    /// SHA-256 of `text`, the key of the embedding cache. `dimension` is the embedding's length,
    /// `NULL` with no embedding.
    ///
    /// SQLite: `embedding` is a BLOB of float32 little-endian; `memories_fts` is an external
    /// content FTS5 table (porter stemming over unicode61) kept in sync by triggers, so every
    /// statement that changes `memories` changes the index in the same transaction.
    ///
    /// PostgreSQL: `embedding` is a pgvector `vector` without a fixed dimension (contexts may use
    /// different models) and `tsv` a generated `tsvector` ('english') with a GIN index. An HNSW
    /// index needs a fixed dimension, so the store creates one partial expression index per
    /// dimension in use, `((embedding::vector(N)) vector_cosine_ops) WHERE dimension = N`, when a
    /// context first records N (see `PostgresMemoryIndex`). The migration creates the `vector`
    /// extension and fails, saying what to install, when the server does not have it; reverting
    /// leaves the extension (other databases' objects may use it).
    static let memory = Migration(
        version: 14, name: "memory",
        up: { dialect in
            let (sequence, embedding, fullText) =
                switch dialect {
                case .sqlite: ("seq INTEGER PRIMARY KEY AUTOINCREMENT", "embedding BLOB", "")
                case .postgres:
                    (
                        "seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "embedding vector",
                        ",\n    tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"
                    )
                }
            let tables = [
                """
                CREATE TABLE memory_settings (
                    context_id TEXT PRIMARY KEY REFERENCES contexts(id) ON DELETE CASCADE,
                    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
                    k INTEGER NOT NULL,
                    minimum_score DOUBLE PRECISION NOT NULL,
                    summarize_turns INTEGER NOT NULL CHECK (summarize_turns IN (0, 1)),
                    embedding_dimension INTEGER,
                    embedding_model TEXT,
                    embedding_generation BIGINT NOT NULL DEFAULT 0,
                    updated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE memory_documents (
                    id TEXT PRIMARY KEY,
                    context_id TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
                    source TEXT NOT NULL,
                    content_hash TEXT NOT NULL,
                    chunk_count INTEGER NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    UNIQUE (context_id, source)
                )
                """,
                """
                CREATE TABLE memories (
                    \(sequence),
                    id TEXT NOT NULL UNIQUE,
                    context_id TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
                    document_id TEXT REFERENCES memory_documents(id) ON DELETE CASCADE,
                    chunk_index INTEGER,
                    text TEXT NOT NULL,
                    source TEXT NOT NULL,
                    metadata_json TEXT,
                    content_hash TEXT NOT NULL,
                    dimension INTEGER,
                    \(embedding),
                    created_at BIGINT NOT NULL\(fullText)
                )
                """,
                "CREATE INDEX memories_context_created_idx ON memories (context_id, created_at, id)",
                "CREATE INDEX memories_context_seq_idx ON memories (context_id, seq)",
                "CREATE INDEX memories_context_hash_idx ON memories (context_id, content_hash)",
                "CREATE INDEX memories_document_idx ON memories (document_id, chunk_index)",
            ]
            switch dialect {
            case .sqlite:
                return tables + [
                    """
                    CREATE VIRTUAL TABLE memories_fts USING fts5(
                        text, content='memories', content_rowid='seq',
                        tokenize='porter unicode61 remove_diacritics 2'
                    )
                    """,
                    """
                    CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
                        INSERT INTO memories_fts (rowid, text) VALUES (new.seq, new.text);
                    END
                    """,
                    """
                    CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
                        INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.seq, old.text);
                    END
                    """,
                    """
                    CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN
                        INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.seq, old.text);
                        INSERT INTO memories_fts (rowid, text) VALUES (new.seq, new.text);
                    END
                    """,
                ]
            case .postgres:
                return [createExtension("vector")] + tables + ["CREATE INDEX memories_tsv_idx ON memories USING gin (tsv)"]
            }
        },
        down: { dialect in
            let fullText =
                dialect == .sqlite
                ? [
                    "DROP TRIGGER memories_fts_update", "DROP TRIGGER memories_fts_delete",
                    "DROP TRIGGER memories_fts_insert", "DROP TABLE memories_fts",
                ] : []
            return fullText + ["DROP TABLE memories", "DROP TABLE memory_documents", "DROP TABLE memory_settings"]
        }
    )

    /// Creates pgvector's extension (`name` is `vector`; tests pass one no server has), or fails
    /// with a message that says what to install (the server lacks it: SQLSTATE 58P01 before
    /// PostgreSQL 15, 0A000 since) or who may create it (42501: the Tern user is not allowed to).
    package static func createExtension(_ name: String) -> String {
        """
        DO $tern$
        BEGIN
            CREATE EXTENSION IF NOT EXISTS \(name);
        EXCEPTION
            WHEN undefined_file OR feature_not_supported THEN
                RAISE EXCEPTION 'pgvector is not installed on this PostgreSQL % server; Tern''s memory needs it',
                    current_setting('server_version_num')::int / 10000
                    USING HINT = format('install pgvector where PostgreSQL runs (Debian/Ubuntu: apt install '
                        'postgresql-%s-pgvector; otherwise the pgvector build for PostgreSQL %s, '
                        'https://github.com/pgvector/pgvector), then start Tern again',
                        current_setting('server_version_num')::int / 10000,
                        current_setting('server_version_num')::int / 10000);
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'the database user may not create the pgvector extension Tern''s memory needs'
                    USING HINT = format('have a superuser run CREATE EXTENSION vector; in database %s once, '
                        'then start Tern again', current_database());
        END
        $tern$
        """
    }
}
