package import Foundation

/// Where a request for human approval stands. Anything but ``approved`` means the call does
/// not run: approvals fail closed.
package enum ApprovalStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for a member of the context to decide.
    case pending
    /// A member allowed the call.
    case approved
    /// A member refused the call.
    case denied
    /// Nobody decided in time, or the turn that asked is gone (its instance stopped); counts as denied.
    case expired
}

/// A tool call waiting for (or past) a human decision, as stored in `approvals`.
package struct Approval: Sendable, Equatable, Codable {
    package var id: ApprovalID
    package var contextID: ContextID
    /// The conversation whose turn asked, when there is one.
    package var conversationID: ConversationID?
    /// The user whose turn asked.
    package var requestedBy: UserID
    /// The server instance whose turn waits on the request; `nil` for rows older than instances.
    package var instanceID: InstanceID?
    /// The tool the agent wants to call.
    package var tool: String
    /// The call's arguments as JSON text.
    package var arguments: String
    package var status: ApprovalStatus
    /// Why it ended as it did (a denial note, "timed out after 300s", "server restarted").
    package var reason: String?
    /// Who decided; `nil` while pending and for expiries.
    package var decidedBy: UserID?
    package var decidedAt: Date?
    package var createdAt: Date
    /// After this the request counts as expired, whatever the row says.
    package var expiresAt: Date

    package init(
        id: ApprovalID, contextID: ContextID, conversationID: ConversationID?, requestedBy: UserID,
        instanceID: InstanceID? = nil, tool: String, arguments: String, status: ApprovalStatus, reason: String? = nil,
        decidedBy: UserID? = nil, decidedAt: Date? = nil, createdAt: Date, expiresAt: Date
    ) {
        self.id = id
        self.contextID = contextID
        self.conversationID = conversationID
        self.requestedBy = requestedBy
        self.instanceID = instanceID
        self.tool = tool
        self.arguments = arguments
        self.status = status
        self.reason = reason
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A request for approval to store; the store assigns the ID, status `pending` and the time.
package struct NewApproval: Sendable, Equatable {
    package var contextID: ContextID
    package var conversationID: ConversationID?
    package var requestedBy: UserID
    /// The instance whose turn waits; its death expires the request (see ``InstanceStore``).
    package var instanceID: InstanceID?
    package var tool: String
    package var arguments: String
    package var expiresAt: Date

    package init(
        contextID: ContextID, conversationID: ConversationID?, requestedBy: UserID, instanceID: InstanceID? = nil,
        tool: String, arguments: String, expiresAt: Date
    ) {
        self.contextID = contextID
        self.conversationID = conversationID
        self.requestedBy = requestedBy
        self.instanceID = instanceID
        self.tool = tool
        self.arguments = arguments
        self.expiresAt = expiresAt
    }
}

/// The decision a member (or the clock) makes on a pending approval.
package struct ApprovalDecision: Sendable, Equatable {
    /// `approved`, `denied` or `expired` (never `pending`).
    package var status: ApprovalStatus
    /// The member who decided; `nil` for expiries.
    package var decidedBy: UserID?
    package var reason: String?
    package var at: Date

    package init(status: ApprovalStatus, decidedBy: UserID?, reason: String? = nil, at: Date) {
        self.status = status
        self.decidedBy = decidedBy
        self.reason = reason
        self.at = at
    }
}

/// Requests for human approval, one tenant at a time.
package protocol ApprovalStore: Sendable {
    /// Stores a new pending request.
    /// - Throws: ``StoreError/invalid(_:)`` for a tool name that is not valid; SQL stores also
    ///   ``StoreError/notFound(_:)`` for an unknown context or user, or a conversation of another context.
    func create(_ approval: NewApproval) async throws -> Approval
    /// A request of this context, or `nil` (also when it belongs to another context).
    func approval(_ id: ApprovalID, in context: ContextID) async throws -> Approval?
    /// Records a decision on a **pending** request, atomically.
    /// - Throws: ``StoreError/notFound(_:)`` for an unknown ID (or one of another context);
    ///   ``StoreError/conflict(_:)`` naming the current status when it was already decided;
    ///   ``StoreError/invalid(_:)`` for a `pending` decision.
    func decide(_ id: ApprovalID, in context: ContextID, _ decision: ApprovalDecision) async throws -> Approval
    /// Pending requests of a context, oldest first.
    func pending(in context: ContextID) async throws -> [Approval]
    /// Marks every request still pending whose instance is gone, in every context, as
    /// ``ApprovalStatus/expired`` with `reason`: the instance has no `instances` row seen at or
    /// after `cutoff` (or the request records none), and it is not `keep` (the caller, alive by
    /// definition). Returns how many rows changed.
    func expireOrphaned(seenBefore cutoff: Date, keep: InstanceID?, reason: String, at time: Date) async throws -> Int
}
