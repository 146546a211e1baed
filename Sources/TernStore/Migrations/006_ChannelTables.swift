import TernCore

extension Migration {
    /// The chat channels' durable state: each channel's update offset, the updates already
    /// handled (for dedupe), Telegram accounts linked to Tern users, and the one-time codes that
    /// link them. Deleting a user deletes its links and codes.
    ///
    /// `channel_state.value` is a `BIGINT`, not text, so "only move forward" is one numeric
    /// comparison in the upsert. The primary key of `channel_updates` serves pruning per
    /// channel; `telegram_link_codes_expires_at_idx` serves deleting expired codes. Link codes
    /// are stored only as keyed hashes (`code_hash`).
    static let channelTables = Migration(
        version: 6, name: "channel state and telegram links",
        up: { _ in
            [
                """
                CREATE TABLE channel_state (
                    channel TEXT PRIMARY KEY,
                    value BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE channel_updates (
                    channel TEXT NOT NULL,
                    update_id BIGINT NOT NULL,
                    processed_at BIGINT NOT NULL,
                    PRIMARY KEY (channel, update_id)
                )
                """,
                """
                CREATE TABLE telegram_links (
                    telegram_user_id BIGINT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    linked_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX telegram_links_user_id_idx ON telegram_links (user_id)",
                """
                CREATE TABLE telegram_link_codes (
                    code_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX telegram_link_codes_user_id_idx ON telegram_link_codes (user_id)",
                "CREATE INDEX telegram_link_codes_expires_at_idx ON telegram_link_codes (expires_at)",
            ]
        },
        down: { _ in
            [
                "DROP TABLE telegram_link_codes",
                "DROP TABLE telegram_links",
                "DROP TABLE channel_updates",
                "DROP TABLE channel_state",
            ]
        }
    )
}
