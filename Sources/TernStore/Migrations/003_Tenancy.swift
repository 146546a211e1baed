import TernCore

extension Migration {
    /// Context kinds and settings, memberships (one default context per user), API keys (keyed
    /// hash + visible prefix), and the local user as owner of the default context.
    static let tenancy = Migration(
        version: 3, name: "memberships and api keys",
        up: { _ in
            [
                "ALTER TABLE users ADD COLUMN last_seen_at BIGINT",
                """
                ALTER TABLE contexts ADD COLUMN kind TEXT NOT NULL DEFAULT 'shared'
                    CHECK (kind IN ('personal', 'shared'))
                """,
                "ALTER TABLE contexts ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'",
                """
                CREATE TABLE context_members (
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    context_id TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
                    role TEXT NOT NULL CHECK (role IN ('owner', 'member', 'viewer')),
                    is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (user_id, context_id)
                )
                """,
                "CREATE INDEX context_members_context_id_idx ON context_members (context_id)",
                """
                CREATE UNIQUE INDEX context_members_one_default_idx
                    ON context_members (user_id) WHERE is_default = 1
                """,
                """
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    context_id TEXT REFERENCES contexts(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    prefix TEXT NOT NULL UNIQUE,
                    secret_hash TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    last_used_at BIGINT,
                    revoked_at BIGINT
                )
                """,
                "CREATE INDEX api_keys_user_id_idx ON api_keys (user_id)",
                "CREATE INDEX api_keys_context_id_idx ON api_keys (context_id)",
                """
                INSERT INTO context_members (user_id, context_id, role, is_default, created_at)
                VALUES ('\(UserID.localUser.rawValue)', '\(ContextID.defaultContext.rawValue)', 'owner', 1, 0)
                """,
            ]
        },
        down: { _ in
            [
                "DROP TABLE api_keys",
                "DROP TABLE context_members",
                "ALTER TABLE contexts DROP COLUMN settings",
                "ALTER TABLE contexts DROP COLUMN kind",
                "ALTER TABLE users DROP COLUMN last_seen_at",
            ]
        }
    )
}
