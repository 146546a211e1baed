import TernCore

extension Migration {
    /// The admin portal's sign-in: external identities, server-side sessions, break-glass links.
    ///
    /// `oidc_identities` maps a provider's `(issuer, subject)` to one Tern user (unique pair; the
    /// email only links the first time). `admin_sessions` and `admin_login_links` keep keyed
    /// hashes of their tokens (HMAC under the server's secret, like API keys), never the tokens.
    /// Every row goes with its user (`ON DELETE CASCADE`); times are microseconds since 1970.
    static let adminSessions = Migration(
        version: 11, name: "admin sessions and OIDC identities",
        up: { _ in
            [
                """
                CREATE TABLE oidc_identities (
                    issuer TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_at BIGINT NOT NULL,
                    last_login_at BIGINT NOT NULL,
                    PRIMARY KEY (issuer, subject)
                )
                """,
                "CREATE INDEX oidc_identities_user_id_idx ON oidc_identities (user_id)",
                """
                CREATE TABLE admin_sessions (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    token_hash TEXT NOT NULL UNIQUE,
                    created_at BIGINT NOT NULL,
                    last_seen_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    user_agent TEXT,
                    address TEXT
                )
                """,
                "CREATE INDEX admin_sessions_user_id_idx ON admin_sessions (user_id)",
                "CREATE INDEX admin_sessions_expires_at_idx ON admin_sessions (expires_at)",
                """
                CREATE TABLE admin_login_links (
                    token_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    used_at BIGINT
                )
                """,
                "CREATE INDEX admin_login_links_user_id_idx ON admin_login_links (user_id)",
            ]
        },
        down: { _ in
            [
                "DROP TABLE admin_login_links",
                "DROP TABLE admin_sessions",
                "DROP TABLE oidc_identities",
            ]
        }
    )
}
