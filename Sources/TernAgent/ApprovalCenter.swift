import Foundation
import Logging
import Synchronization
import TernCore

/// Human approval of risky tool calls, persisted and failing closed: a request is stored as an
/// `approvals` row, the turn waits for a member's decision (chat `/approve <id>`, `/deny <id>`,
/// or `POST /v1/approvals/{id}`), and a timeout, a cancelled turn or a restart denies it.
///
/// A decision made on this process wakes the waiting turn at once; one made on another replica
/// is seen by the waiter's poll of the row (every ``pollInterval``).
package final class ApprovalCenter: Sendable {
    private let store: any ApprovalStore
    private let clock: any WallClock
    private let pollInterval: Duration
    private let logger: Logger
    private let waiters = Mutex<[ApprovalID: OneShotSignal]>([:])

    package init(
        store: any ApprovalStore, clock: any WallClock = SystemWallClock(), pollInterval: Duration = .seconds(1),
        logger: Logger = Logger(label: "tern.agent.approvals")
    ) {
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
                tool: tool, arguments: arguments, expiresAt: clock.now().addingTimeInterval(timeout.timeInterval)))
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
    ///   ``StoreError/conflict(_:)`` when it was already decided (or expired).
    package func decide(
        _ id: ApprovalID, approve: Bool, by user: UserID, in context: ContextID, reason: String? = nil
    ) async throws -> Approval {
        let decided = try await store.decide(
            id, in: context,
            ApprovalDecision(status: approve ? .approved : .denied, decidedBy: user, reason: reason, at: clock.now()))
        logger.info(
            "approval decided",
            metadata: ["approval": "\(id)", "status": "\(decided.status.rawValue)", "by": "\(user)"])
        waiters.withLock { $0[id] }?.fire()
        return decided
    }

    /// Requests of `context` still waiting for a decision, oldest first.
    package func pending(in context: ContextID) async throws -> [Approval] {
        try await store.pending(in: context)
    }

    /// Denies every request left pending by an earlier run of the server (its turns are gone).
    /// Call once at start, before serving.
    package func expireAfterRestart(startedAt: Date) async throws -> Int {
        let count = try await store.expirePending(
            createdBefore: startedAt, reason: "the server restarted while the turn waited", at: clock.now())
        if count > 0 { logger.warning("denied approvals left pending by a restart", metadata: ["count": "\(count)"]) }
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
                "could not expire an abandoned approval; it stays pending until the next restart",
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
