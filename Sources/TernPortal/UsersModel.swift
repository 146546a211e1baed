import Foundation
import TernCore

/// The users list's view model.
struct UsersModel: Sendable {
    struct Row: Sendable {
        let id, email, name, role, lastSeen: String
        let contexts: Int
    }

    let search: String
    let rows: [Row]
    let nextHref: String
    let hasNext: Bool
    let isEmpty: Bool

    init(_ page: KeysetPage<PortalUserRow>, search: String) {
        self.search = search
        rows = page.rows.map { row in
            Row(
                id: row.user.id.rawValue, email: row.user.email ?? "(local user)", name: row.user.displayName,
                role: row.user.role.rawValue, lastSeen: row.user.lastSeenAt.map(PortalFormat.time) ?? "never",
                contexts: row.contextCount)
        }
        nextHref = page.next.map { PortalQuery.href("/admin/users", ["q": search, "cursor": $0]) } ?? ""
        hasNext = page.next != nil
        isEmpty = rows.isEmpty
    }
}

/// A table of API keys with its create form (the `keys` partial), for a user's page and My account.
struct KeysModel: Sendable {
    struct Row: Sendable {
        let id, name, prefix, context, created, lastUsed, revokedAt: String
        let revoked: Bool
    }

    struct ContextOption: Sendable {
        let id, name: String
    }

    /// Where the create form posts and revocations go (`…/keys`).
    let base: String
    let rows: [Row]
    let contexts: [ContextOption]
    let formToken = FormToken.make().value
    let isEmpty: Bool

    init(base: String, keys: [APIKeyRecord], memberships: [Membership]) {
        self.base = base
        let names = Dictionary(memberships.map { ($0.contextID, $0.contextName) }, uniquingKeysWith: { first, _ in first })
        rows = keys.map { key in
            Row(
                id: key.id, name: key.name, prefix: key.prefix,
                context: key.contextID.map { names[$0] ?? $0.rawValue } ?? "–", created: PortalFormat.time(key.createdAt),
                lastUsed: key.lastUsedAt.map(PortalFormat.time) ?? "never", revokedAt: key.revokedAt.map(PortalFormat.time) ?? "",
                revoked: key.revokedAt != nil)
        }
        contexts = memberships.map { ContextOption(id: $0.contextID.rawValue, name: $0.contextName) }
        isEmpty = rows.isEmpty
    }
}

/// One user's page: role, contexts, API keys.
struct UserModel: Sendable {
    struct Role: Sendable {
        let value: String
        let selected: Bool
    }

    struct ContextRow: Sendable {
        let id, name, role: String
        let isDefault: Bool
    }

    let id, name, created, lastSeen: String
    let roles: [Role]
    let contexts: [ContextRow]
    let keys: KeysModel
    let noContexts: Bool

    init(user: User, memberships: [Membership], keys: [APIKeyRecord]) {
        id = user.id.rawValue
        name = user.displayName
        created = PortalFormat.time(user.createdAt)
        lastSeen = user.lastSeenAt.map(PortalFormat.time) ?? "never"
        roles = UserRole.allCases.map { Role(value: $0.rawValue, selected: $0 == user.role) }
        contexts = memberships.map {
            ContextRow(id: $0.contextID.rawValue, name: $0.contextName, role: $0.role.rawValue, isDefault: $0.isDefault)
        }
        self.keys = KeysModel(base: "/admin/users/\(user.id.rawValue)/keys", keys: keys, memberships: memberships)
        noContexts = memberships.isEmpty
    }
}

/// My account: the visitor's own keys and sessions.
struct AccountModel: Sendable {
    struct Session: Sendable {
        let id, created, lastSeen, expires, address, userAgent: String
        let current: Bool
    }

    let name, role: String
    let keys: KeysModel
    let sessions: [Session]

    init(visit: PortalVisit, keys: [APIKeyRecord], sessions: [AdminSession]) {
        name = visit.user.email ?? visit.user.displayName
        role = visit.user.role.rawValue
        self.keys = KeysModel(base: "/admin/account/keys", keys: keys, memberships: visit.memberships)
        self.sessions = sessions.map { session in
            Session(
                id: session.id, created: PortalFormat.time(session.createdAt), lastSeen: PortalFormat.time(session.lastSeenAt),
                expires: PortalFormat.time(session.expiresAt), address: session.address ?? "–",
                userAgent: String((session.userAgent ?? "–").prefix(80)), current: session.id == visit.session.id)
        }
    }
}

/// The page that shows a new API key once.
struct KeyCreatedModel: Sendable {
    let name, secret, back: String
}
