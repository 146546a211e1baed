import TernCore

extension Migration {
    /// The admin portal's create-form idempotency tokens (``PortalFormTokenStore``).
    ///
    /// A token is kept as a keyed hash with the session that used it and, once its object exists,
    /// where that object is (`location`, `NULL` while the first request is still creating it).
    /// Rows go with their session (`ON DELETE CASCADE`) and are pruned after a day through
    /// `portal_form_tokens_created_at_idx`; times are microseconds since 1970.
    static let portalFormTokens = Migration(
        version: 13, name: "portal form tokens",
        up: { _ in
            [
                """
                CREATE TABLE portal_form_tokens (
                    token_hash TEXT PRIMARY KEY,
                    session_id TEXT NOT NULL REFERENCES admin_sessions(id) ON DELETE CASCADE,
                    created_at BIGINT NOT NULL,
                    location TEXT
                )
                """,
                "CREATE INDEX portal_form_tokens_session_id_idx ON portal_form_tokens (session_id)",
                "CREATE INDEX portal_form_tokens_created_at_idx ON portal_form_tokens (created_at)",
            ]
        },
        down: { _ in ["DROP TABLE portal_form_tokens"] }
    )
}
