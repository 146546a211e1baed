package import Foundation
import Synchronization
package import TernCore

/// An in-memory ``ApprovalStore`` with the SQL store's rules: context scoping, atomic decisions
/// (a second decision is a ``StoreError/conflict(_:)`` naming the status), pending lists oldest
/// first, expiry of orphaned pending requests in every context (read from the
/// ``MemoryInstanceStore`` it is given). Times are truncated to microseconds and
/// `createdAt` strictly increases, as stored rows are.
///
/// It does not know which contexts, users or conversations exist, so unlike the SQL store
/// ``create(_:)`` never throws ``StoreError/notFound(_:)`` for them.
package final class MemoryApprovalStore: ApprovalStore {
    private struct State {
        var approvals: [ApprovalID: Approval] = [:]
        var lastCreated: Int64 = 0
    }

    private let state = Mutex(State())
    private let instances: MemoryInstanceStore
    private let clock: any WallClock
    private let makeID: @Sendable () -> String

    /// - Parameters:
    ///   - instances: which instances are alive, for ``expireOrphaned(seenBefore:keep:reason:at:)``.
    ///   - clock: the time source for `createdAt`.
    ///   - makeID: new IDs (random UUIDs unless a test injects its own).
    package init(
        instances: MemoryInstanceStore = MemoryInstanceStore(), clock: any WallClock = SystemWallClock(),
        makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.instances = instances
        self.clock = clock
        self.makeID = makeID
    }

    /// Every stored request, of every context, oldest first; for assertions in tests.
    package var all: [Approval] {
        state.withLock { $0.approvals.values.sorted(by: Self.oldestFirst) }
    }

    package func create(_ approval: NewApproval) async throws -> Approval {
        guard ToolSpec.isValidName(approval.tool) else {
            throw StoreError.invalid("'\(approval.tool)' is not a valid tool name (letters, digits, _ and -, 1 to 64)")
        }
        let id = ApprovalID(makeID())
        let now = clock.now().microsecondsSince1970
        return state.withLock { state in
            state.lastCreated = max(now, state.lastCreated + 1)
            let stored = Approval(
                id: id, contextID: approval.contextID, conversationID: approval.conversationID,
                requestedBy: approval.requestedBy, instanceID: approval.instanceID, tool: approval.tool, arguments: approval.arguments,
                status: .pending, createdAt: Date(microsecondsSince1970: state.lastCreated),
                expiresAt: Self.stored(approval.expiresAt))
            state.approvals[id] = stored
            return stored
        }
    }

    package func approval(_ id: ApprovalID, in context: ContextID) async throws -> Approval? {
        state.withLock { state in state.approvals[id].flatMap { $0.contextID == context ? $0 : nil } }
    }

    package func decide(_ id: ApprovalID, in context: ContextID, _ decision: ApprovalDecision) async throws
        -> Approval
    {
        guard decision.status != .pending else {
            throw StoreError.invalid("a decision on approval \(id) cannot be 'pending'")
        }
        return try state.withLock { state in
            guard var approval = state.approvals[id], approval.contextID == context else {
                throw StoreError.notFound("approval \(id)")
            }
            guard approval.status == .pending else {
                throw StoreError.conflict("approval \(id) is already \(approval.status.rawValue)")
            }
            approval.status = decision.status
            approval.reason = decision.reason
            approval.decidedBy = decision.decidedBy
            approval.decidedAt = Self.stored(decision.at)
            state.approvals[id] = approval
            return approval
        }
    }

    package func pending(in context: ContextID) async throws -> [Approval] {
        state.withLock { state in
            state.approvals.values.filter { $0.contextID == context && $0.status == .pending }
                .sorted(by: Self.oldestFirst)
        }
    }

    package func expireOrphaned(seenBefore cutoff: Date, keep: InstanceID?, reason: String, at time: Date)
        async throws -> Int
    {
        let limit = cutoff.microsecondsSince1970
        let instances = self.instances
        return state.withLock { state in
            var changed = 0
            for (id, var approval) in state.approvals where approval.status == .pending {
                if let owner = approval.instanceID {
                    if owner == keep { continue }
                    if let seen = instances.lastSeen(owner), seen >= limit { continue }
                }
                approval.status = .expired
                approval.reason = reason
                approval.decidedBy = nil
                approval.decidedAt = Self.stored(time)
                state.approvals[id] = approval
                changed += 1
            }
            return changed
        }
    }

    /// `date` as it reads back from a database column of microseconds.
    private static func stored(_ date: Date) -> Date {
        Date(microsecondsSince1970: date.microsecondsSince1970)
    }

    private static func oldestFirst(_ a: Approval, _ b: Approval) -> Bool {
        (a.createdAt, a.id.rawValue) < (b.createdAt, b.id.rawValue)
    }
}
