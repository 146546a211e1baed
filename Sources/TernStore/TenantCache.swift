import TernCore

/// The tenant rows every request reads, cached by ``SQLTenantStore`` (see ``EpochCache``):
/// a steady-state turn resolves its caller without a statement.
package final class TenantCache: Sendable {
    /// How stale a cached row may be when another replica changed it: 5 seconds.
    package static let defaultMaxAge: Duration = .seconds(5)

    let usersByID: EpochCache<UserID, User>
    let usersByEmail: EpochCache<String, User>
    let memberships: EpochCache<UserID, [Membership]>
    let contextsByName: EpochCache<String, Context>

    init(epoch: MembershipEpoch, maxAge: Duration) {
        usersByID = EpochCache(epoch: epoch, maxAge: maxAge)
        usersByEmail = EpochCache(epoch: epoch, maxAge: maxAge)
        memberships = EpochCache(epoch: epoch, maxAge: maxAge)
        contextsByName = EpochCache(epoch: epoch, maxAge: maxAge)
    }
}
