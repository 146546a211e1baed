package import Foundation

/// What a user may do across Tern: admins manage contexts, users and keys.
package enum UserRole: String, Sendable, Codable, CaseIterable {
    case admin, user
}

/// A person (or the built-in local user) who talks to the agent.
package struct User: Sendable, Equatable, Codable {
    package var id: UserID
    /// Lower-cased; unique. `nil` only for the built-in local user.
    package var email: String?
    package var displayName: String
    package var role: UserRole
    package var createdAt: Date
    package var lastSeenAt: Date?

    package init(
        id: UserID, email: String?, displayName: String, role: UserRole, createdAt: Date, lastSeenAt: Date? = nil
    ) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.role = role
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }

    /// Emails are compared and stored trimmed and lower-cased.
    package static func normalise(email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}

/// Whether a context belongs to one person or is shared by a team.
package enum ContextKind: String, Sendable, Codable, CaseIterable {
    case personal, shared
}

/// A user's part in a context.
package enum MemberRole: String, Sendable, Codable, CaseIterable {
    case owner, member, viewer
}

/// A user's membership of one context.
package struct Membership: Sendable, Equatable, Codable {
    package var userID: UserID
    package var contextID: ContextID
    package var contextName: String
    package var role: MemberRole
    /// The context used when a request names none; one per user.
    package var isDefault: Bool
    /// Whether the context is someone's personal one or shared.
    package var contextKind: ContextKind

    package init(
        userID: UserID, contextID: ContextID, contextName: String, role: MemberRole, isDefault: Bool,
        contextKind: ContextKind = .shared
    ) {
        self.userID = userID
        self.contextID = contextID
        self.contextName = contextName
        self.role = role
        self.isDefault = isDefault
        self.contextKind = contextKind
    }
}

/// A context with what it holds, for the admin list.
package struct ContextSummary: Sendable, Equatable, Codable {
    package var context: Context
    package var memberCount: Int
    package var conversationCount: Int
    /// `nil` from a list that does not count messages: the portal's, where counting them would
    /// read every message of the page's contexts (the admin API and `tern contexts list` count).
    package var messageCount: Int?

    package init(context: Context, memberCount: Int, conversationCount: Int, messageCount: Int?) {
        self.context = context
        self.memberCount = memberCount
        self.conversationCount = conversationCount
        self.messageCount = messageCount
    }
}

/// Context names are what users type (`X-Tern-Context`, `tern/<name>` model ids): short,
/// lower-case letters, digits, `-`, `_` and `.`.
package enum ContextName {
    /// Why `name` is not a valid context name, or `nil` when it is.
    package static func problem(with name: String) -> String? {
        if name.isEmpty || name.count > 64 { return "must be 1 to 64 characters" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
        if !name.allSatisfy(allowed.contains) {
            return "may contain only lower-case letters, digits, '-', '_' and '.'"
        }
        if name.hasPrefix(".") || name.hasPrefix("-") { return "must start with a letter, digit or '_'" }
        return nil
    }
}
