import Foundation
import Synchronization
import TernCore

/// Checks, once per turn and again after any membership change, that the turn's user still
/// belongs to the turn's context and that their role there allows what the turn is about to do
/// (``MemberRole/allows(_:)``); every tool call (a skill's included) goes through it, so a skill
/// running for context X can only reach X's data while the user is X's member, and a viewer's
/// turn runs only read tools even if one is forced on it.
final class ContextAccess: Sendable {
    private struct Cached: Sendable {
        var epoch: UInt64
        var role: MemberRole?
    }

    private let user: UserID
    private let context: ContextID
    private let memberRole: @Sendable (UserID, ContextID) async throws -> MemberRole?
    private let epoch: MembershipEpoch
    private let cached: Mutex<Cached?>

    /// - Parameter known: the role the channel resolved just before the turn, trusted until the
    ///   next membership change so a turn that calls no tool costs no extra lookup.
    init(
        user: UserID, context: ContextID, epoch: MembershipEpoch, known: MemberRole?,
        memberRole: @escaping @Sendable (UserID, ContextID) async throws -> MemberRole?
    ) {
        self.user = user
        self.context = context
        self.epoch = epoch
        self.memberRole = memberRole
        cached = Mutex(known.map { Cached(epoch: epoch.current, role: $0) })
    }

    /// The user's role in the context now, `nil` when they are not (or no longer) a member.
    func role() async throws -> MemberRole? {
        let now = epoch.current
        if let hit = cached.withLock({ cached in cached?.epoch == now ? cached : nil }) { return hit.role }
        let role = try await memberRole(user, context)
        cached.withLock { $0 = Cached(epoch: now, role: role) }
        return role
    }

    /// Throws ``ToolError/notAllowed(tool:reason:)`` when the user is not (or no longer) a member,
    /// or their role may not run a tool of this risk.
    func verify(_ spec: ToolSpec) async throws {
        guard let role = try await role() else {
            throw ToolError.notAllowed(tool: spec.name, reason: "the user is not a member of this context")
        }
        if let refusal = role.refusal(.runTool(spec.risk)) {
            throw ToolError.notAllowed(tool: spec.name, reason: refusal)
        }
    }
}
