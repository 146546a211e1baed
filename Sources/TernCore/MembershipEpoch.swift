import Synchronization

/// A counter the tenant store bumps on every membership change, so caches of "is this user a
/// member of that context" (kept per turn by the agent) know when to check again.
package final class MembershipEpoch: Sendable {
    private let value = Atomic<UInt64>(0)

    package init() {}

    /// The current epoch; it only grows.
    package var current: UInt64 { value.load(ordering: .acquiring) }

    /// Marks that memberships changed.
    package func advance() { value.add(1, ordering: .releasing) }
}
