package import TernCore

extension IdentityResolver {
    /// The identity of a signed-in admin portal session's user (the portal checked the session
    /// cookie against `admin_sessions`): the user as stored now, in their default context.
    /// Throws ``IdentityError/unauthenticated(_:)`` when the user is gone.
    package func resolve(sessionUser id: UserID) async throws -> ResolvedIdentity {
        guard let user = try await tenants.user(id) else {
            throw IdentityError.unauthenticated("the user of this session no longer exists; sign in again")
        }
        let membership = try await chooseContext(for: user, named: nil, restrictedTo: nil)
        return ResolvedIdentity(user: user, context: membership.contextID, role: membership.role)
    }
}
