import TernCore

extension Migration {
    /// Users, contexts, conversations, sessions and messages. Every foreign key has an index,
    /// deleting a context or conversation cascades to what it owns.
    static let coreTables = Migration(
        version: 1, name: "core tables",
        up: { _ in
            [
                """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    email TEXT UNIQUE,
                    display_name TEXT NOT NULL,
                    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE contexts (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE conversations (
                    id TEXT PRIMARY KEY,
                    context_id TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
                    platform TEXT NOT NULL,
                    platform_id TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    CONSTRAINT conversations_platform_key UNIQUE (platform, platform_id)
                )
                """,
                "CREATE INDEX conversations_context_id_idx ON conversations (context_id)",
                """
                CREATE TABLE sessions (
                    id TEXT PRIMARY KEY,
                    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                    context_id TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX sessions_conversation_id_created_at_idx ON sessions (conversation_id, created_at)",
                "CREATE INDEX sessions_context_id_idx ON sessions (context_id)",
                """
                CREATE TABLE messages (
                    id TEXT PRIMARY KEY,
                    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                    context_id TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
                    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
                    content TEXT NOT NULL,
                    tool_data TEXT,
                    prompt_tokens INTEGER,
                    completion_tokens INTEGER,
                    total_tokens INTEGER,
                    status TEXT NOT NULL CHECK (status IN ('complete', 'incomplete')),
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX messages_session_id_created_at_idx ON messages (session_id, created_at)",
                "CREATE INDEX messages_context_id_idx ON messages (context_id)",
            ]
        },
        down: { _ in
            [
                "DROP TABLE messages",
                "DROP TABLE sessions",
                "DROP TABLE conversations",
                "DROP TABLE contexts",
                "DROP TABLE users",
            ]
        }
    )
}
