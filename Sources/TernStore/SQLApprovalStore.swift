package import Foundation
import SQLKit
package import TernCore

/// ``ApprovalStore`` on SQLKit; the same queries serve SQLite and PostgreSQL. Every statement
/// but ``expireOrphaned(seenBefore:keep:reason:at:)`` is scoped by `context_id`.
package struct SQLApprovalStore: ApprovalStore {
    private let database: any DatabaseHandle
    private let clock: MonotonicMicroseconds
    private let makeID: @Sendable () -> String

    /// - Parameters:
    ///   - clock: the time source for `created_at`; stored times never go backwards.
    ///   - makeID: new row IDs (random UUIDs unless a test injects its own).
    package init(
        database: any DatabaseHandle, clock: any WallClock = SystemWallClock(),
        makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.database = database
        self.clock = MonotonicMicroseconds(clock: clock)
        self.makeID = makeID
    }

    /// Stores a new pending request.
    /// - Throws: ``StoreError/invalid(_:)`` for an invalid tool name; ``StoreError/notFound(_:)``
    ///   for an unknown context or user, or a conversation that is not the context's.
    package func create(_ approval: NewApproval) async throws -> Approval {
        guard ToolSpec.isValidName(approval.tool) else {
            throw StoreError.invalid("'\(approval.tool)' is not a valid tool name (letters, digits, _ and -, 1 to 64)")
        }
        let id = makeID()
        let now = clock.next()
        let expires = approval.expiresAt.microsecondsSince1970
        try await mapErrors {
            try await database.transaction { db in
                try await SQLTenantStore.requireContext(db, approval.contextID)
                try await SQLTenantStore.requireUser(db, approval.requestedBy)
                if let conversation = approval.conversationID {
                    try await SQLConversationStore.requireConversation(db, conversation, approval.contextID)
                }
                try await db.insert(into: "approvals")
                    .columns(
                        "id", "context_id", "conversation_id", "requested_by", "instance_id", "tool_name", "arguments",
                        "status", "created_at", "expires_at"
                    )
                    .values(
                        SQLBind(id), SQLBind(approval.contextID.rawValue), SQLBind(approval.conversationID?.rawValue),
                        SQLBind(approval.requestedBy.rawValue), SQLBind(approval.instanceID?.rawValue),
                        SQLBind(approval.tool), SQLBind(approval.arguments),
                        SQLBind(ApprovalStatus.pending.rawValue), SQLBind(now), SQLBind(expires)
                    )
                    .run()
            }
        }
        return Approval(
            id: ApprovalID(id), contextID: approval.contextID, conversationID: approval.conversationID,
            requestedBy: approval.requestedBy, instanceID: approval.instanceID, tool: approval.tool,
            arguments: approval.arguments, status: .pending,
            createdAt: Date(microsecondsSince1970: now), expiresAt: Date(microsecondsSince1970: expires))
    }

    package func approval(_ id: ApprovalID, in context: ContextID) async throws -> Approval? {
        try await mapErrors {
            try await database.read { db in
                try await db.select().columns("*").from("approvals")
                    .where("id", .equal, SQLBind(id.rawValue))
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .first()
            }
        }.map(Self.decode)
    }

    package func decide(_ id: ApprovalID, in context: ContextID, _ decision: ApprovalDecision) async throws
        -> Approval
    {
        guard decision.status != .pending else {
            throw StoreError.invalid("a decision on approval \(id) cannot be 'pending'")
        }
        let row = try await mapErrors {
            try await database.transaction { db -> any SQLRow in
                // One conditional UPDATE: of two deciders at once, exactly one changes the row.
                let updated = try await db.update("approvals")
                    .set("status", to: SQLBind(decision.status.rawValue))
                    .set("reason", to: SQLBind(decision.reason))
                    .set("decided_by", to: SQLBind(decision.decidedBy?.rawValue))
                    .set("decided_at", to: SQLBind(decision.at.microsecondsSince1970))
                    .where("id", .equal, SQLBind(id.rawValue))
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .where("status", .equal, SQLBind(ApprovalStatus.pending.rawValue))
                    .returning("*")
                    .first()
                if let updated { return updated }
                let current = try await db.select().column("status").from("approvals")
                    .where("id", .equal, SQLBind(id.rawValue))
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .first()
                guard let current else { throw StoreError.notFound("approval \(id)") }
                let status = try current.decode(column: "status", as: String.self)
                throw StoreError.conflict("approval \(id) is already \(status)")
            }
        }
        return try Self.decode(row)
    }

    package func pending(in context: ContextID) async throws -> [Approval] {
        try await mapErrors {
            try await database.read { db in
                try await db.select().columns("*").from("approvals")
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .where("status", .equal, SQLBind(ApprovalStatus.pending.rawValue))
                    .orderBy("created_at").orderBy("id")
                    .all()
            }
        }.map(Self.decode)
    }

    package func expireOrphaned(seenBefore cutoff: Date, keep: InstanceID?, reason: String, at time: Date)
        async throws -> Int
    {
        try await mapErrors {
            try await database.write { db in
                try await db.update("approvals")
                    .set("status", to: SQLBind(ApprovalStatus.expired.rawValue))
                    .set("reason", to: SQLBind(reason))
                    .set("decided_by", to: SQLLiteral.null)
                    .set("decided_at", to: SQLBind(time.microsecondsSince1970))
                    // A literal, not a bind: SQLite's planner (with its stability guarantee on,
                    // see SQLiteHandle) uses the partial index of pending approvals only for a
                    // condition it can see implies the index's own.
                    .where(SQLRaw("status = '\(ApprovalStatus.pending.rawValue)'"))
                    .where { group in
                        group.where(SQLColumn("instance_id"), .is, SQLLiteral.null)
                            .orWhere("instance_id", .notEqual, SQLBind(keep?.rawValue ?? ""))
                    }
                    .where(
                        SQLRaw(
                            "NOT EXISTS (SELECT 1 FROM instances WHERE instances.id = approvals.instance_id "
                                + "AND instances.last_seen_at >= \(cutoff.microsecondsSince1970))")
                    )
                    .returning("id")
                    .all()
                    .count
            }
        }
    }

    static func decode(_ row: any SQLRow) throws -> Approval {
        let status = try row.decode(column: "status", as: String.self)
        return Approval(
            id: ApprovalID(try row.decode(column: "id", as: String.self)),
            contextID: ContextID(try row.decode(column: "context_id", as: String.self)),
            conversationID: try row.decode(column: "conversation_id", as: String?.self).map { ConversationID($0) },
            requestedBy: UserID(try row.decode(column: "requested_by", as: String.self)),
            instanceID: try row.decode(column: "instance_id", as: String?.self).map { InstanceID($0) },
            tool: try row.decode(column: "tool_name", as: String.self),
            arguments: try row.decode(column: "arguments", as: String.self),
            status: try ApprovalStatus(rawValue: status).unwrap("unknown approval status \(status)"),
            reason: try row.decode(column: "reason", as: String?.self),
            decidedBy: try row.decode(column: "decided_by", as: String?.self).map { UserID($0) },
            decidedAt: try row.decode(column: "decided_at", as: Int64?.self).map(Date.init(microsecondsSince1970:)),
            createdAt: Date(microsecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            expiresAt: Date(microsecondsSince1970: try row.decode(column: "expires_at", as: Int64.self)))
    }
}
