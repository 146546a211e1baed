package import Foundation
package import Logging
package import TernCore

/// Turns a verified `id_token` into a Tern user.
///
/// The provider account `(issuer, sub)` is the key. The first time it is seen it is linked to the
/// user with its email (if the provider does not say the email is unverified), or a new user is
/// made with a personal context. Admin comes from `TERN_ADMIN_EMAILS` or the groups claim holding
/// `TERN_OIDC_ADMIN_GROUP`, and only at that first login: afterwards the database is the truth
/// (an admin demoted in Tern stays demoted, whatever the provider says).
package struct OIDCAccountLinker: Sendable {
    private let tenants: any TenantStore
    private let identities: any OIDCIdentityStore
    private let adminEmails: Set<String>
    private let adminGroup: String?
    private let logger: Logger

    package init(
        tenants: any TenantStore, identities: any OIDCIdentityStore, adminEmails: Set<String>, adminGroup: String?,
        logger: Logger = Logger(label: "tern.portal.oidc")
    ) {
        self.tenants = tenants
        self.identities = identities
        self.adminEmails = Set(adminEmails.map(User.normalise(email:)))
        self.adminGroup = adminGroup
        self.logger = logger
    }

    /// The user these claims sign in as, made or linked on first sight.
    package func user(for claims: OIDCIDTokenClaims) async throws -> User {
        guard let issuer = claims.issuer, let subject = claims.subject else {
            throw OIDCError.invalidIDToken("it has no iss or sub claim")
        }
        if let linked = try await identities.user(issuer: issuer, subject: subject) {
            guard let user = try await tenants.user(linked) else {
                throw OIDCError.badCallback("the Tern user of this account no longer exists")
            }
            return user
        }
        guard let rawEmail = claims.email, !rawEmail.isEmpty else {
            throw OIDCError.badCallback(
                "the identity provider sent no email for this account; Tern needs one the first time (allow the 'email' scope)")
        }
        guard claims.emailVerified != false else {
            throw OIDCError.badCallback("the identity provider says the email \(rawEmail) is not verified")
        }
        let email = User.normalise(email: rawEmail)
        let grantsAdmin = adminEmails.contains(email) || adminGroup.map { claims.groups.contains($0) } == true
        var user: User
        if let existing = try await tenants.user(email: email) {
            user = existing
        } else {
            do {
                user = try await tenants.provisionUser(
                    email: email, displayName: claims.name ?? claims.preferredUsername ?? email, role: .user
                ).0
            } catch StoreError.conflict {
                // Another login of the same email made the user first.
                guard let raced = try await tenants.user(email: email) else { throw StoreError.database("user \(email) vanished") }
                user = raced
            }
        }
        do {
            try await identities.link(issuer: issuer, subject: subject, to: user.id)
        } catch StoreError.conflict {
            // A concurrent first login of the same account linked it first: use whom it linked.
            guard let linked = try await identities.user(issuer: issuer, subject: subject),
                let winner = try await tenants.user(linked)
            else { throw StoreError.database("the link of \(subject) vanished") }
            return winner
        }
        if grantsAdmin && user.role != .admin {
            user = try await tenants.setRole(.admin, of: user.id)
        }
        logger.notice(
            "linked identity provider account",
            metadata: ["user": "\(user.id)", "issuer": "\(issuer)", "role": "\(user.role.rawValue)"])
        return user
    }
}
