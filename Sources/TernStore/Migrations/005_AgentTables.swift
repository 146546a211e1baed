import TernCore

extension Migration {
    /// Per-context tool permissions and requests for human approval of tool calls. Deleting a
    /// context (or an approval's conversation or requester) deletes its rows; deleting the user
    /// who decided keeps the decision and forgets who made it.
    ///
    /// `approvals_context_id_status_created_at_idx` also serves the `context_id` foreign key, as
    /// the primary key of `tool_permissions` serves its one. The partial index keeps finding
    /// pending requests across contexts (what a restart expires) cheap however many decided rows
    /// pile up; SQLite and PostgreSQL accept the same statement.
    static let agentTables = Migration(
        version: 5, name: "tool permissions and approvals",
        up: { _ in
            [
                """
                CREATE TABLE tool_permissions (
                    context_id TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
                    tool_name TEXT NOT NULL,
                    permission TEXT NOT NULL CHECK (permission IN ('allow', 'deny')),
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (context_id, tool_name)
                )
                """,
                """
                CREATE TABLE approvals (
                    id TEXT PRIMARY KEY,
                    context_id TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
                    conversation_id TEXT REFERENCES conversations(id) ON DELETE CASCADE,
                    requested_by TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    tool_name TEXT NOT NULL,
                    arguments TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
                    reason TEXT,
                    decided_by TEXT REFERENCES users(id) ON DELETE SET NULL,
                    decided_at BIGINT,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                """
                CREATE INDEX approvals_context_id_status_created_at_idx
                    ON approvals (context_id, status, created_at)
                """,
                "CREATE INDEX approvals_conversation_id_idx ON approvals (conversation_id)",
                "CREATE INDEX approvals_requested_by_idx ON approvals (requested_by)",
                "CREATE INDEX approvals_decided_by_idx ON approvals (decided_by)",
                "CREATE INDEX approvals_pending_created_at_idx ON approvals (created_at) WHERE status = 'pending'",
            ]
        },
        down: { _ in
            [
                "DROP TABLE approvals",
                "DROP TABLE tool_permissions",
            ]
        }
    )
}
