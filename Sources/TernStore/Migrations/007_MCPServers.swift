import TernCore

extension Migration {
    /// Each context's MCP server definitions. Deleting a context deletes its servers.
    ///
    /// `arguments`, `environment` and `headers` are JSON arrays (strings; `MCPVariable`s, whose
    /// secret values stay sealed as `{name, key_id, sealed}`), read and written whole with the
    /// row. `enabled` is an `INTEGER` 0/1 so the same statements serve SQLite and PostgreSQL.
    /// The unique index on `(context_id, name)` serves lookups by name, listing a context's
    /// servers in name order, and the `context_id` foreign key; no other index is needed.
    static let mcpServers = Migration(
        version: 7, name: "mcp servers",
        up: { _ in
            [
                """
                CREATE TABLE mcp_servers (
                    id TEXT PRIMARY KEY,
                    context_id TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    transport TEXT NOT NULL CHECK (transport IN ('stdio', 'http')),
                    command TEXT,
                    arguments TEXT NOT NULL,
                    environment TEXT NOT NULL,
                    url TEXT,
                    headers TEXT NOT NULL,
                    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    UNIQUE (context_id, name)
                )
                """
            ]
        },
        down: { _ in
            [
                "DROP TABLE mcp_servers"
            ]
        }
    )
}
