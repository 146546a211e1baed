import TernCore

extension Migration {
    /// A partial index of the messages still in effect, in the order a turn reads its history.
    ///
    /// A turn reads its session's newest messages with `superseded_at IS NULL` (edits and
    /// regenerates supersede the tail of a session, migration 8). Through
    /// `messages_session_id_created_at_idx` alone that read walks back over every superseded
    /// message newer than the live ones, each with a table lookup to see `superseded_at`: a
    /// conversation whose last answer was regenerated N times paid N row reads on every later
    /// turn (docs/benchmarks.md, "Issue 15: history reads"). This index holds only live messages,
    /// keyed `(session_id, created_at, id)` as the history query orders them, so the read stops
    /// after its limit. The session index stays: cascading deletes and the supersede update use
    /// it for every message of a session.
    static let liveHistoryIndex = Migration(
        version: 16, name: "live history index",
        up: { _ in
            [
                """
                CREATE INDEX messages_live_history_idx ON messages (session_id, created_at, id)
                WHERE superseded_at IS NULL
                """
            ]
        },
        down: { _ in ["DROP INDEX messages_live_history_idx"] }
    )
}
