import Foundation
package import Logging
import Synchronization
package import TernCore

/// Human approval of risky tool calls, persisted and failing closed: a request is stored as an
/// `approvals` row, the turn waits for a member's decision (chat `/approve <id>`, `/deny <id>`,
/// or `POST /v1/approvals/{id}`), and a timeout, a cancelled turn or the death of the turn's
/// process denies it.
///
/// Approvals belong to a live turn: each request records this process's ``instance``, which
/// beats in `instances` (see ``InstanceStore``). A request whose instance stopped beating for
/// ``InstanceLiveness/staleAfter`` is expired by whichever instance notices first
/// (``expireOrphans(othersGone:)``, run before listing or deciding and on every beat); deciding
/// one answers a conflict saying the turn that asked is gone.
///
/// A decision made on this process wakes the waiting turn at once; one made on another replica
/// is seen by the waiter's poll of the row (every ``pollInterval``).
package final class ApprovalCenter: Sendable {
    /// The reason stored on requests whose turn's instance is gone.
    package static let orphanReason = "the turn that asked is gone (its server instance stopped)"

    /// This process's instance: the owner of the requests its turns make.
    package let instance: InstanceID
    private let liveness: InstanceLiveness
    private let store: any ApprovalStore
    private let clock: any WallClock
    private let pollInterval: Duration
    private let logger: Logger
    private let waiters = Mutex<[ApprovalID: OneShotSignal]>([:])

    /// - Parameters:
    ///   - instance: this process's instance (a new random one unless given).
    ///   - liveness: when another instance counts as gone.
    package init(
        store: any ApprovalStore, instance: InstanceID = .random(), liveness: InstanceLiveness = InstanceLiveness(),
        clock: any WallClock = SystemWallClock(), pollInterval: Duration = .seconds(1),
        logger: Logger = Logger(label: "tern.agent.approvals")
    ) {
        self.instance = instance
        self.liveness = liveness
        self.store = store
        self.clock = clock
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Stores a request, emits `approvalRequired`, waits for the decision and emits
    /// `approvalDecided`. Returns the decided request (`approved` is the only status that lets
    /// the call run). If the waiting task is cancelled, the request is expired before the
    /// cancellation propagates.
    func requestDecision(
        tool: String, arguments: String, scope: ToolContext, timeout: Duration, recorder: TurnRecorder
    ) async throws -> Approval {
        let request = try await store.create(
            NewApproval(
                contextID: scope.contextID, conversationID: scope.conversationID, requestedBy: scope.userID,
                instanceID: instance, tool: tool, arguments: arguments, expiresAt: clock.now().addingTimeInterval(timeout.timeInterval)))
        let signal = OneShotSignal()
        waiters.withLock { $0[request.id] = signal }
        defer { _ = waiters.withLock { $0.removeValue(forKey: request.id) } }
        logger.info(
            "tool call waits for approval",
            metadata: ["approval": "\(request.id)", "tool": "\(tool)", "context": "\(scope.contextID)"])
        recorder.emit(.approvalRequired(request))

        let decided: Approval
        do {
            decided = try await wait(for: request, signal: signal, timeout: timeout)
        } catch is CancellationError {
            await expireDetached(request, reason: "the turn ended while waiting for a decision")
            throw CancellationError()
        }
        recorder.emit(.approvalDecided(decided))
        return decided
    }

    /// Records a member's decision and wakes the waiting turn.
    /// - Throws: ``StoreError/notFound(_:)`` when this context has no such request,
    ///   ``StoreError/conflict(_:)`` when it was already decided (or expired), saying so when
    ///   the turn that asked is gone.
    package func decide(
        _ id: ApprovalID, approve: Bool, by user: UserID, in context: ContextID, reason: String? = nil
    ) async throws -> Approval {
        try await expireOrphans()
        let decided: Approval
        do {
            decided = try await store.decide(
                id, in: context,
                ApprovalDecision(status: approve ? .approved : .denied, decidedBy: user, reason: reason, at: clock.now()))
        } catch StoreError.conflict(let message) {
            if let current = try await store.approval(id, in: context), current.status == .expired,
                current.reason == Self.orphanReason
            {
                throw StoreError.conflict("approval \(id) cannot be decided: \(Self.orphanReason)")
            }
            throw StoreError.conflict(message)
        }
        logger.info(
            "approval decided",
            metadata: ["approval": "\(id)", "status": "\(decided.status.rawValue)", "by": "\(user)"])
        waiters.withLock { $0[id] }?.fire()
        return decided
    }

    /// Requests of `context` still waiting for a decision, oldest first (orphans expired first).
    package func pending(in context: ContextID) async throws -> [Approval] {
        try await expireOrphans()
        return try await store.pending(in: context)
    }

    /// Expires (fails closed) every pending request whose instance is gone: not seen for
    /// ``InstanceLiveness/staleAfter``, or, with `othersGone`, any instance but this one (a
    /// database only one process uses, such as SQLite, at start). Returns how many went.
    @discardableResult
    package func expireOrphans(othersGone: Bool = false) async throws -> Int {
        let now = clock.now()
        let cutoff = othersGone ? Date.distantFuture : now.addingTimeInterval(-liveness.staleAfter.timeInterval)
        let count = try await store.expireOrphaned(seenBefore: cutoff, keep: instance, reason: Self.orphanReason, at: now)
        if count > 0 {
            logger.warning("denied approvals whose turn is gone (its instance stopped)", metadata: ["count": "\(count)"])
        }
        return count
    }

    private func wait(for request: Approval, signal: OneShotSignal, timeout: Duration) async throws -> Approval {
        while true {
            guard let current = try await store.approval(request.id, in: request.contextID) else {
                throw StoreError.notFound("approval \(request.id)")
            }
            guard current.status == .pending else { return current }
            let remaining = current.expiresAt.timeIntervalSince(clock.now())
            if remaining <= 0 { return try await expire(current, reason: "nobody decided within \(timeout.shortDescription)") }
            await Self.waitForSignal(signal, atMost: min(pollInterval, .milliseconds(Int64((remaining * 1000).rounded(.up)))))
            try Task.checkCancellation()
        }
    }

    private func expire(_ request: Approval, reason: String) async throws -> Approval {
        do {
            return try await store.decide(
                request.id, in: request.contextID,
                ApprovalDecision(status: .expired, decidedBy: nil, reason: reason, at: clock.now()))
        } catch StoreError.conflict {
            // Decided in the same instant; the stored decision wins.
            guard let current = try await store.approval(request.id, in: request.contextID) else {
                throw StoreError.notFound("approval \(request.id)")
            }
            return current
        }
    }

    /// Expires in its own task: the caller is cancelled, the write must still happen.
    private func expireDetached(_ request: Approval, reason: String) async {
        let write = Task { try await self.expire(request, reason: reason) }
        do {
            _ = try await write.value
        } catch {
            logger.error(
                "could not expire an abandoned approval; it stays pending until its instance is seen gone",
                metadata: ["approval": "\(request.id)", "error": "\(error)"])
        }
    }

    private static func waitForSignal(_ signal: OneShotSignal, atMost duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signal.wait() }
            group.addTask { try? await Task.sleep(for: duration) }  // cancelled when the signal comes first
            await group.next()
            group.cancelAll()
        }
    }
}
