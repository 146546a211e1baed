import HTTPTypes
import TernAgent
import TernCore
import TernHTTP

/// A signed-in browser's request: its session, user, memberships and CSRF token. Every access
/// check of a page goes through ``refusal(_:in:)``, which asks ``PortalAccess`` (the function the
/// admin JSON API asks too).
struct PortalVisit: Sendable {
    let session: AdminSession
    let identity: ResolvedIdentity
    let memberships: [Membership]
    /// The session's synchronizer token (``PortalCSRF``).
    let csrf: String

    var user: User { identity.user }
    var isAdmin: Bool { user.role == .admin }

    /// The user's role in `context`, `nil` when not a member.
    func role(in context: ContextID) -> MemberRole? {
        memberships.first { $0.contextID == context }?.role
    }

    /// The contexts the user's pages show: every one (`nil`) for an admin, else their memberships.
    var scope: Set<ContextID>? { isAdmin ? nil : Set(memberships.map(\.contextID)) }

    /// Why `action` (in `context`, if it is about one) is refused, or `nil`.
    func refusal(_ action: PortalAccess.Action, in context: ContextID? = nil) -> String? {
        PortalAccess.refusal(isAdmin: isAdmin, role: context.flatMap(role(in:)), action)
    }

    /// Throws a 403 ``PortalFailure`` saying why, unless `action` is allowed.
    func require(_ action: PortalAccess.Action, in context: ContextID? = nil) throws {
        if let refusal = refusal(action, in: context) { throw PortalFailure(.forbidden, refusal) }
    }
}

/// A page's answer for something that went wrong, rendered as a problem page with the status.
struct PortalFailure: Error, Sendable {
    let status: HTTPResponse.Status
    let message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    static func notFound(_ what: String) -> PortalFailure { PortalFailure(.notFound, "There is no \(what).") }

    static func invalid(_ message: String) -> PortalFailure { PortalFailure(.badRequest, message) }
}
