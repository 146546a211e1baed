import Foundation
import Synchronization
import TernCore

/// Checks, once per turn and again after any membership change, that the turn's user still
/// belongs to the turn's context; every tool call (a skill's included) goes through it, so a
/// skill running for context X can only reach X's data while the user is X's member.
final class ContextAccess: Sendable {
    private struct Cached: Sendable {
        var epoch: UInt64
        var isMember: Bool
    }

    private let user: UserID
    private let context: ContextID
    private let isMember: @Sendable (UserID, ContextID) async throws -> Bool
    private let epoch: MembershipEpoch
    private let cached = Mutex<Cached?>(nil)

    init(
        user: UserID, context: ContextID, epoch: MembershipEpoch,
        isMember: @escaping @Sendable (UserID, ContextID) async throws -> Bool
    ) {
        self.user = user
        self.context = context
        self.epoch = epoch
        self.isMember = isMember
    }

    /// Throws ``ToolError/notAllowed(tool:reason:)`` when the user is not (or no longer) a member.
    func verify(for tool: String) async throws {
        let now = epoch.current
        let known = cached.withLock { cached in cached?.epoch == now ? cached?.isMember : nil }
        let member: Bool
        if let known {
            member = known
        } else {
            member = try await isMember(user, context)
            cached.withLock { $0 = Cached(epoch: now, isMember: member) }
        }
        guard member else {
            throw ToolError.notAllowed(tool: tool, reason: "the user is not a member of this context")
        }
    }
}
