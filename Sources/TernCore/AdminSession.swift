package import Foundation

/// A signed-in browser of the admin portal, as stored (the token itself only as a keyed hash).
package struct AdminSession: Sendable, Equatable, Codable {
    package var id: String
    package var userID: UserID
    package var createdAt: Date
    /// Last request seen; the session ends after the idle timeout without one.
    package var lastSeenAt: Date
    /// The absolute end, however active the session is.
    package var expiresAt: Date
    package var userAgent: String?
    /// The client address it signed in from.
    package var address: String?

    package init(
        id: String, userID: UserID, createdAt: Date, lastSeenAt: Date, expiresAt: Date, userAgent: String?,
        address: String?
    ) {
        self.id = id
        self.userID = userID
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
        self.userAgent = userAgent
        self.address = address
    }

    /// A new random bearer token for a cookie or link: 32 random bytes, base64url (43 characters).
    package static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// Server-side sessions of the admin portal: revocable, listed per user.
package protocol AdminSessionStore: Sendable {
    /// Starts a session for `user` ending at `expiresAt` at the latest; returns it and its token
    /// (shown to the browser once, stored only as a keyed hash).
    func createSession(for user: UserID, userAgent: String?, address: String?, expiresAt: Date) async throws
        -> (AdminSession, token: String)
    /// The live session whose token this is: `nil` when unknown, past its absolute end, or idle
    /// longer than `idleTimeout` (an ended session is deleted). Records the request as seen.
    func session(token: String, idleTimeout: TimeInterval) async throws -> AdminSession?
    /// The user's sessions, newest first.
    func sessions(of user: UserID) async throws -> [AdminSession]
    /// Ends a session at once (logout, revocation); ending one that is gone is not an error.
    func deleteSession(_ id: String) async throws
}

/// What opening a break-glass login link found.
package enum LoginLinkRedemption: Sendable, Equatable {
    /// The link was good and is now used up: sign this user in.
    case user(UserID)
    /// The link was already used once.
    case used
    /// The link's ten minutes are over.
    case expired
    /// No such link (mistyped, or its user was deleted).
    case unknown
}

/// Single-use sign-in links for the portal (`tern admin login-link`), for a server without an
/// identity provider or locked out of it.
package protocol LoginLinkStore: Sendable {
    /// A new link token for `user`, valid until `expiresAt`; only its keyed hash is stored.
    func createLoginLink(for user: UserID, expiresAt: Date) async throws -> String
    /// Uses the link up (atomically: of two concurrent openings one wins) and says whose it was.
    func redeemLoginLink(_ token: String) async throws -> LoginLinkRedemption
}

/// Which Tern user an identity provider's account is: `(issuer, subject)` pairs, unique.
package protocol OIDCIdentityStore: Sendable {
    /// The user linked to this provider account, recording the login; `nil` when none is.
    func user(issuer: String, subject: String) async throws -> UserID?
    /// Links the provider account to `user`; throws ``StoreError/conflict(_:)`` when the account
    /// is already linked (to anyone).
    func link(issuer: String, subject: String, to user: UserID) async throws
}
