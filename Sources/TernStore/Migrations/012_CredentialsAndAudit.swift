import TernCore

extension Migration {
    /// Per-context credentials and the audit log.
    ///
    /// `credentials`: one row per `(context_id, name)` (the primary key, which also serves the
    /// `context_id` foreign key and listing by name); `sealed_value` is the AES-GCM combined
    /// bytes in base64 (text, so SQLite and PostgreSQL store it alike), `key_id` the key that
    /// sealed it. Deleting a context deletes its credentials; deleting the user who created one
    /// keeps it and forgets who.
    ///
    /// `audit_log`: every change made through the admin API, the CLI or the portal, newest read
    /// first by keyset on `(at, id)`. Deliberately no foreign keys: the history of a deleted
    /// context or user stays. `actor` is a user id or `cli`; `before_json`/`after_json` are
    /// JSON objects with secret values masked. Each filter (actor, object, context) has an index
    /// ending in `(at, id)` so a filtered page is one index range scan.
    static let credentialsAndAudit = Migration(
        version: 12, name: "credentials and audit log",
        up: { _ in
            [
                """
                CREATE TABLE credentials (
                    context_id TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    key_id TEXT NOT NULL,
                    sealed_value TEXT NOT NULL,
                    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (context_id, name)
                )
                """,
                "CREATE INDEX credentials_created_by_idx ON credentials (created_by)",
                """
                CREATE TABLE audit_log (
                    id TEXT PRIMARY KEY,
                    at BIGINT NOT NULL,
                    actor TEXT NOT NULL,
                    via TEXT NOT NULL CHECK (via IN ('api', 'cli', 'portal')),
                    action TEXT NOT NULL,
                    object_type TEXT NOT NULL,
                    object_id TEXT NOT NULL,
                    context_id TEXT,
                    client_address TEXT,
                    before_json TEXT,
                    after_json TEXT
                )
                """,
                "CREATE INDEX audit_log_at_id_idx ON audit_log (at, id)",
                "CREATE INDEX audit_log_actor_at_id_idx ON audit_log (actor, at, id)",
                "CREATE INDEX audit_log_object_at_id_idx ON audit_log (object_type, object_id, at, id)",
                "CREATE INDEX audit_log_context_at_id_idx ON audit_log (context_id, at, id)",
            ]
        },
        down: { _ in
            [
                "DROP TABLE audit_log",
                "DROP TABLE credentials",
            ]
        }
    )
}
