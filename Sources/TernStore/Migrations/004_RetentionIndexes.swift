import TernCore

extension Migration {
    /// Indexes for retention's age predicates, so old rows are found without scanning.
    static let retentionIndexes = Migration(
        version: 4, name: "retention indexes",
        up: { _ in
            [
                "CREATE INDEX messages_created_at_idx ON messages (created_at)",
                "CREATE INDEX sessions_created_at_idx ON sessions (created_at)",
                "CREATE INDEX conversations_created_at_idx ON conversations (created_at)",
            ]
        },
        down: { _ in
            [
                "DROP INDEX conversations_created_at_idx",
                "DROP INDEX sessions_created_at_idx",
                "DROP INDEX messages_created_at_idx",
            ]
        }
    )
}
