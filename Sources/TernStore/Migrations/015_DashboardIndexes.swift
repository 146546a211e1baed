import TernCore

extension Migration {
    /// Indexes that keep the portal's dashboard from reading the whole `messages` table
    /// (docs/benchmarks.md, "Issue 17: portal pages": ~750 ms of statements at 400,000 messages):
    ///
    /// - the latest unfinished answers from a partial index holding only those (a handful of rows,
    ///   so turns that finish pay nothing to maintain it);
    /// - tokens and messages per day of the last 14 days from a covering index `(created_at,
    ///   context_id, total_tokens)`, read without the rows. It replaces `messages_created_at_idx`
    ///   (migration 4), whose queries (retention's age predicate, the latest answers) use its
    ///   first column, so a message insert still maintains the same number of indexes.
    static let dashboardIndexes = Migration(
        version: 15, name: "dashboard indexes",
        up: { _ in
            [
                """
                CREATE INDEX messages_unfinished_answers_idx ON messages (created_at)
                WHERE role = 'assistant' AND status = 'incomplete'
                """,
                "CREATE INDEX messages_created_at_usage_idx ON messages (created_at, context_id, total_tokens)",
                "DROP INDEX messages_created_at_idx",
            ]
        },
        down: { _ in
            [
                "CREATE INDEX messages_created_at_idx ON messages (created_at)",
                "DROP INDEX messages_created_at_usage_idx",
                "DROP INDEX messages_unfinished_answers_idx",
            ]
        }
    )
}
