import TernCore

extension Migration {
    /// Server instances and the instance each pending approval waits on.
    ///
    /// Every running process renews its `instances` row (`last_seen_at`, microseconds) every few
    /// seconds; an approval whose `instance_id` has no recent row belongs to a turn that is gone
    /// and is expired by whichever instance notices first. No foreign key: an instance's row is
    /// deleted when it stops, its approvals stay as history. Rows from before this migration have
    /// no instance and count as orphaned (fail closed). Expiry scans pending rows through
    /// `approvals_pending_created_at_idx` and probes `instances` by primary key.
    static let instances = Migration(
        version: 10, name: "instances and approval owners",
        up: { _ in
            [
                """
                CREATE TABLE instances (
                    id TEXT PRIMARY KEY,
                    started_at BIGINT NOT NULL,
                    last_seen_at BIGINT NOT NULL
                )
                """,
                "ALTER TABLE approvals ADD COLUMN instance_id TEXT",
            ]
        },
        down: { _ in
            [
                "ALTER TABLE approvals DROP COLUMN instance_id",
                "DROP TABLE instances",
            ]
        }
    )
}
