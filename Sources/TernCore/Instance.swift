package import Foundation

extension IDTag {
    /// Tags ``InstanceID``.
    package enum Instance {}
}

/// One run of a server process: a new one at every start, shared by nothing else. Pending
/// approvals record the instance whose turn waits on them (see ``InstanceStore``).
package typealias InstanceID = TypedID<IDTag.Instance>

/// Which server instances are alive: each renews its row (`instances.last_seen_at`) every few
/// seconds; one whose row is older than the staleness bound (or gone) has stopped, and what it
/// waited for is dead with it.
package protocol InstanceStore: Sendable {
    /// Records that `instance` is alive at `time` (creates the row on the first beat).
    func beat(_ instance: InstanceID, at time: Date) async throws
    /// Forgets `instance` (a graceful stop): its pending approvals count as orphaned at once.
    func remove(_ instance: InstanceID) async throws
    /// Deletes the rows of instances not seen since `cutoff`; returns how many went.
    func prune(notSeenSince cutoff: Date) async throws -> Int
}

/// How often instances beat and when one counts as gone.
package struct InstanceLiveness: Sendable, Equatable {
    /// Between two beats of a live instance.
    package var interval: Duration
    /// An instance whose last beat is older than this is gone.
    package var staleAfter: Duration

    /// Beats every `interval`; gone after `misses` beats in a row were missed.
    package init(interval: Duration = .seconds(2), misses: Int = 5) {
        self.interval = interval
        self.staleAfter = interval * misses
    }
}
