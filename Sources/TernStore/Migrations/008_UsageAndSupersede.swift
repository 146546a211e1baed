import TernCore

extension Migration {
    /// Superseded messages (a client resent the thread with a part edited or regenerated), whether
    /// a message's usage was estimated, and the usage of model calls outside conversation turns.
    ///
    /// `superseded_at` is `NULL` while a message is active; history filters on it after
    /// `messages_session_id_created_at_idx` has found the session's rows, so it needs no index of
    /// its own. Flags are `INTEGER` 0/1 so the same statements serve SQLite and PostgreSQL;
    /// `usage_estimated` is `NULL` when a message has no usage. Deleting a context deletes its
    /// usage records; deleting a conversation keeps them and forgets which one they were for.
    /// `usage_records_context_id_created_at_idx` serves totals since a time and the
    /// `context_id` foreign key. The down statements drop the columns, which SQLite supports
    /// since 3.35 (as migration 3 relies on).
    static let usageAndSupersede = Migration(
        version: 8, name: "usage records and superseded messages",
        up: { _ in
            [
                "ALTER TABLE messages ADD COLUMN superseded_at BIGINT",
                """
                ALTER TABLE messages ADD COLUMN usage_estimated INTEGER
                    CHECK (usage_estimated IN (0, 1))
                """,
                """
                CREATE TABLE usage_records (
                    id TEXT PRIMARY KEY,
                    context_id TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
                    conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
                    purpose TEXT NOT NULL,
                    prompt_tokens INTEGER NOT NULL,
                    completion_tokens INTEGER NOT NULL,
                    total_tokens INTEGER NOT NULL,
                    estimated INTEGER NOT NULL CHECK (estimated IN (0, 1)),
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE INDEX usage_records_context_id_created_at_idx
                    ON usage_records (context_id, created_at)
                """,
                "CREATE INDEX usage_records_conversation_id_idx ON usage_records (conversation_id)",
            ]
        },
        down: { _ in
            [
                "DROP TABLE usage_records",
                "ALTER TABLE messages DROP COLUMN usage_estimated",
                "ALTER TABLE messages DROP COLUMN superseded_at",
            ]
        }
    )
}
