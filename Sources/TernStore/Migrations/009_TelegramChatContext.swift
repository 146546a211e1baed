import TernCore

extension Migration {
    /// The chat channels' inbox and each chat's chosen context.
    ///
    /// `channel_inbox` holds updates fetched and not yet taken for handling, with their payload,
    /// so the platform can be told at once that they arrived (Telegram's offset moves past them)
    /// and a restart still handles them; its primary key serves reading a channel's queue in
    /// order. `channel_chat_contexts` remembers the context a chat switched to (`/context`);
    /// deleting the context forgets the choice, and `channel_chat_contexts_context_id_idx` serves
    /// that foreign key.
    static let chatContextsAndInbox = Migration(
        version: 9, name: "channel inbox and chat contexts",
        up: { _ in
            [
                """
                CREATE TABLE channel_inbox (
                    channel TEXT NOT NULL,
                    update_id BIGINT NOT NULL,
                    payload TEXT NOT NULL,
                    received_at BIGINT NOT NULL,
                    PRIMARY KEY (channel, update_id)
                )
                """,
                """
                CREATE TABLE channel_chat_contexts (
                    channel TEXT NOT NULL,
                    chat_id BIGINT NOT NULL,
                    context_id TEXT NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (channel, chat_id)
                )
                """,
                "CREATE INDEX channel_chat_contexts_context_id_idx ON channel_chat_contexts (context_id)",
            ]
        },
        down: { _ in
            [
                "DROP TABLE channel_chat_contexts",
                "DROP TABLE channel_inbox",
            ]
        }
    )
}
