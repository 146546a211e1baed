package import Foundation

/// The read side of the admin portal's first pages (dashboard, contexts, users, approvals): each
/// page is one or two statements whatever its length, tables page by keyset (never `OFFSET`)
/// and search in the database.
///
/// `contexts` limits what is read to those contexts (a non-admin's view); `nil` reads every
/// context (an admin's). An empty set finds nothing.
package protocol PortalQueries: Sendable {
    /// Counts, the latest turns, unfinished turns and daily token usage since `since`.
    func dashboard(contexts: Set<ContextID>?, since: Date) async throws -> PortalDashboard
    /// Contexts by name after `cursor`, whose name contains `search`, with their counts.
    func contexts(_ contexts: Set<ContextID>?, search: String?, after cursor: String?, limit: Int) async throws
        -> KeysetPage<ContextSummary>
    /// Users by email after `cursor`, whose email or name contains `search`, with how many
    /// contexts each belongs to.
    func users(search: String?, after cursor: String?, limit: Int) async throws -> KeysetPage<PortalUserRow>
    /// Pending approvals of the contexts, oldest first, with their context names.
    func pendingApprovals(_ contexts: Set<ContextID>?, limit: Int) async throws -> [PortalApprovalRow]
    /// Decided (or expired) approvals of the contexts, newest first, before `cursor`.
    func approvalHistory(_ contexts: Set<ContextID>?, before cursor: PortalTimeCursor?, limit: Int) async throws
        -> KeysetPage<PortalApprovalRow>
}

/// One page of rows and the cursor of the next (`nil` at the end).
package struct KeysetPage<Row: Sendable & Equatable>: Sendable, Equatable {
    package var rows: [Row]
    package var next: String?

    package init(rows: [Row], next: String?) {
        self.rows = rows
        self.next = next
    }
}

/// A keyset position on `(created_at, id)`, newest first: `<microseconds>.<id>`, the same token
/// as the audit log's pages.
package typealias PortalTimeCursor = AuditCursor

/// What the dashboard shows.
package struct PortalDashboard: Sendable, Equatable {
    package var users: Int
    package var contexts: Int
    package var conversations: Int
    /// Messages since the dashboard's `since` (14 days), not all time: counted from an index.
    package var messages: Int
    package var pendingApprovals: Int
    /// The latest assistant answers, newest first.
    package var recentTurns: [PortalTurnRow]
    /// The latest answers that did not finish (the model failed, the client hung up), newest first.
    package var unfinishedTurns: [PortalTurnRow]
    /// Tokens per UTC day (answers and other model calls), oldest first; days without use are absent.
    package var usageByDay: [PortalDailyUsage]

    package init(
        users: Int, contexts: Int, conversations: Int, messages: Int, pendingApprovals: Int, recentTurns: [PortalTurnRow],
        unfinishedTurns: [PortalTurnRow], usageByDay: [PortalDailyUsage]
    ) {
        self.users = users
        self.contexts = contexts
        self.conversations = conversations
        self.messages = messages
        self.pendingApprovals = pendingApprovals
        self.recentTurns = recentTurns
        self.unfinishedTurns = unfinishedTurns
        self.usageByDay = usageByDay
    }
}

/// One assistant answer for the dashboard.
package struct PortalTurnRow: Sendable, Equatable {
    package var at: Date
    package var contextName: String
    package var conversationID: ConversationID
    package var totalTokens: Int?
    package var complete: Bool

    package init(at: Date, contextName: String, conversationID: ConversationID, totalTokens: Int?, complete: Bool) {
        self.at = at
        self.contextName = contextName
        self.conversationID = conversationID
        self.totalTokens = totalTokens
        self.complete = complete
    }
}

/// Tokens used on one UTC day.
package struct PortalDailyUsage: Sendable, Equatable {
    /// Days since 1970-01-01 (UTC).
    package var day: Int
    package var tokens: Int

    package init(day: Int, tokens: Int) {
        self.day = day
        self.tokens = tokens
    }
}

/// A user in the portal's list.
package struct PortalUserRow: Sendable, Equatable {
    package var user: User
    package var contextCount: Int

    package init(user: User, contextCount: Int) {
        self.user = user
        self.contextCount = contextCount
    }
}

/// An approval with the name of its context.
package struct PortalApprovalRow: Sendable, Equatable {
    package var approval: Approval
    package var contextName: String

    package init(approval: Approval, contextName: String) {
        self.approval = approval
        self.contextName = contextName
    }
}

/// What a create form's idempotency token found (``PortalFormTokenStore``).
package enum FormTokenClaim: Sendable, Equatable {
    /// First use: go on and create, then ``PortalFormTokenStore/complete(_:location:)``.
    case fresh
    /// Already used: the object it made is at this location.
    case done(location: String)
    /// Another request with this token is still creating its object.
    case inProgress
    /// The token was used by another session.
    case foreign
}

/// The create forms' idempotency tokens: the same form posted twice creates one object, and
/// the second post is sent where the first one's result is. Kept (as hashes) for a day.
package protocol PortalFormTokenStore: Sendable {
    /// Claims `token` for `session`, first pruning tokens older than a day.
    func claim(_ token: String, session: String) async throws -> FormTokenClaim
    /// Records where the token's object is.
    func complete(_ token: String, location: String) async throws
    /// Gives a claimed token up after its create failed, so the form can be sent again.
    func release(_ token: String) async throws
}
