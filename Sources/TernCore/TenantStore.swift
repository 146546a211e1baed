package import Foundation

/// Users, contexts and who belongs where. These rows are not tenant data themselves; they
/// decide which tenant's data a caller may reach.
package protocol TenantStore: Sendable {
    /// A user by ID.
    func user(_ id: UserID) async throws -> User?
    /// A user by email (normalised before the lookup).
    func user(email: String) async throws -> User?
    /// Every user, by creation time.
    func users() async throws -> [User]
    /// Creates a user with a personal context named after the email's local part (made unique)
    /// and makes it the user's default context, all in one transaction.
    /// Throws ``StoreError/conflict(_:)`` when the email is taken.
    func provisionUser(email: String, displayName: String, role: UserRole) async throws -> (User, Context)
    /// Changes a user's role. Demoting the last admin (counting the built-in local user while it
    /// is one) throws ``StoreError/conflict(_:)`` and changes nothing; the check and the update are
    /// one transaction that locks the admin rows, so two concurrent demotions of the last two admins
    /// cannot both succeed. Throws `notFound` for an unknown user.
    func setRole(_ role: UserRole, of user: UserID) async throws -> User
    /// Makes `context` the user's default context (and no other). Throws `notFound` when the user
    /// is not a member of it.
    func setDefaultContext(_ context: ContextID, of user: UserID) async throws -> Membership
    /// Records that the user was seen now.
    func touch(_ user: UserID, at time: Date) async throws
    /// Deletes a user with their memberships, API keys and Telegram links, and every personal
    /// context no one else belongs to (with all it holds), in one transaction; returns the names
    /// of those contexts. Deleting the last admin throws ``StoreError/conflict(_:)`` (the rule
    /// that keeps the last admin from being demoted), the built-in local user
    /// ``StoreError/invalid(_:)``, an unknown user `notFound`; none of them changes anything.
    func deleteUser(_ user: UserID) async throws -> [String]

    /// A context by ID.
    func context(_ id: ContextID) async throws -> Context?
    /// A context by its unique name.
    func context(named name: String) async throws -> Context?
    /// Creates a context; `owner` becomes its owner. Throws ``StoreError/conflict(_:)`` on a taken name.
    func createContext(name: String, kind: ContextKind, owner: UserID?) async throws -> Context
    /// Renames a context. Throws `conflict` on a taken name, `notFound` for an unknown ID.
    func renameContext(_ id: ContextID, to name: String) async throws -> Context
    /// Deletes a context and everything it owns (conversations, sessions, messages, …).
    func deleteContext(_ id: ContextID) async throws
    /// Every context with its member, conversation and message counts, in one query.
    func contextSummaries() async throws -> [ContextSummary]

    /// The contexts a user belongs to.
    func memberships(of user: UserID) async throws -> [Membership]
    /// The members of a context.
    func members(of context: ContextID) async throws -> [Membership]
    /// Adds (or changes the role of) a member. The added context becomes the user's default only
    /// when the user has no default and it is either their first context or a personal one, so
    /// joining (or re-joining) a shared context never takes over the default.
    func addMember(_ user: UserID, to context: ContextID, role: MemberRole) async throws -> Membership
    /// Removes a member; throws `notFound` when the user is not one. When it was the user's default,
    /// the default moves only to a personal context the user still belongs to (the oldest), never to
    /// a shared one; without such a context the user has no default until one is set.
    func removeMember(_ user: UserID, from context: ContextID) async throws
}

/// An API key as stored: a keyed hash of the secret and a short visible prefix, never the secret.
package struct APIKeyRecord: Sendable, Equatable, Codable {
    package var id: String
    package var userID: UserID
    /// When set, the key only works in this context.
    package var contextID: ContextID?
    package var name: String
    /// The first characters of the key, shown in lists so people can tell keys apart.
    package var prefix: String
    package var createdAt: Date
    package var lastUsedAt: Date?
    package var revokedAt: Date?

    package init(
        id: String, userID: UserID, contextID: ContextID?, name: String, prefix: String, createdAt: Date,
        lastUsedAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.id = id
        self.userID = userID
        self.contextID = contextID
        self.name = name
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// API keys per user.
package protocol APIKeyStore: Sendable {
    /// Creates a key and returns its record and the secret, which is shown this once only.
    func createKey(for user: UserID, context: ContextID?, name: String) async throws -> (APIKeyRecord, secret: String)
    /// The live key whose secret this is, or `nil` (unknown, wrong or revoked). Compares in
    /// constant time and records the use.
    func authenticate(_ secret: String) async throws -> APIKeyRecord?
    /// Keys of one user, or of everyone when `user` is `nil`, newest first.
    func keys(of user: UserID?) async throws -> [APIKeyRecord]
    /// Revokes a key; it stops working at once. Throws `notFound` for an unknown ID.
    func revoke(_ id: String, at time: Date) async throws -> APIKeyRecord
}
