import Foundation
import TernAgent
import TernCore

/// What a caller may reach through the admin API: the one place every admin handler asks.
///
/// - An admin's unrestricted key (or the local user) reaches everything.
/// - A key limited to context X (`tern keys create … --context X`) reaches X only, and only when
///   its user is an admin or X's owner: lists are filtered to X, everything global (creating
///   contexts or users, changing a user, deleting a context) is refused, and it mints keys only
///   limited to X, only for X's members. Tool permissions and MCP servers of X need an admin user
///   (an MCP server can start a command on this host).
/// - Any other caller is refused.
package struct AdminScope: Sendable {
    /// What a handler is about to do in a context.
    package enum Use: Sendable {
        /// Rename it, list or change its members, list, mint or revoke its keys.
        case manage
        /// Tool permissions and MCP servers: admins only, even in their own context.
        case configure
    }

    /// `nil` for an unrestricted admin; otherwise the one context the key is limited to.
    package let limitedTo: ContextID?
    /// Whether the caller's user is an admin.
    package let isAdmin: Bool

    /// The first path segments under `/admin/api/v1` whose handlers check an ``AdminScope``; a
    /// limited key is refused everywhere else (e.g. `diagnostics`, and any route added later
    /// until it checks one), so new routes fail closed.
    package static let scopedRoutes: Set<String> = ["contexts", "users", "keys"]

    /// Whether the caller may enter the admin route at `path` at all; the cheap check of
    /// ``AdminOnlyMiddleware``. Unrestricted callers must be admins; limited keys reach only
    /// ``scopedRoutes``, whose handlers check them further through ``resolve(_:tenants:)``.
    package static func mayEnter(_ identity: ResolvedIdentity, path: String) -> Bool {
        guard identity.restrictedTo != nil else { return identity.user.role == .admin }
        let segments = path.split(separator: "/")
        guard let root = segments.firstIndex(of: "v1").map({ segments.index(after: $0) }), root < segments.endIndex
        else { return false }
        return scopedRoutes.contains(String(segments[root]))
    }

    /// The scope of `identity`, or a 403 saying why it has none.
    package static func resolve(_ identity: ResolvedIdentity, tenants: any TenantStore) async throws -> AdminScope {
        let isAdmin = identity.user.role == .admin
        guard let restriction = identity.restrictedTo else {
            guard isAdmin else { throw Self.adminRequired }
            return AdminScope(limitedTo: nil, isAdmin: true)
        }
        if !isAdmin {
            let owns = try await tenants.members(of: restriction)
                .contains { $0.userID == identity.user.id && $0.role == .owner }
            guard owns else {
                throw APIError(
                    status: .forbidden,
                    message: "this API key is limited to a context its user does not own; only admins and the context's "
                        + "owners may manage it", type: "permission_error", code: "admin_required")
            }
        }
        return AdminScope(limitedTo: restriction, isAdmin: isAdmin)
    }

    static let limitedKeyRefused = APIError(
        status: .forbidden, message: "a context-limited API key cannot use this admin endpoint",
        type: "permission_error", code: "outside_key_scope")

    static let adminRequired = APIError(
        status: .forbidden, message: "this endpoint is for admins only", type: "permission_error", code: "admin_required")

    /// Refuses a context outside the scope, or a use the caller's user may not make of it.
    package func require(_ context: ContextID, for use: Use) throws {
        if let limitedTo, limitedTo != context {
            throw Self.outside("this API key is limited to context \(limitedTo) and cannot reach context \(context)")
        }
        if use == .configure, !isAdmin {
            throw Self.outside("tool permissions and MCP servers are for admins only, even in a context you own")
        }
    }

    /// Refuses anything that reaches beyond one context (creating contexts or users, changing a
    /// user, deleting a context) to a limited key; `action` completes "cannot …".
    package func requireUnlimited(_ action: String) throws {
        guard let limitedTo else { return }
        throw Self.outside("this API key is limited to context \(limitedTo) and cannot \(action)")
    }

    /// Whether a context is inside the scope (for filtering lists).
    package func contains(_ context: ContextID) -> Bool {
        limitedTo.map { $0 == context } ?? true
    }

    /// The users the caller may see: everyone, or the members of its context.
    package func visibleUsers(_ tenants: any TenantStore) async throws -> [User] {
        let all = try await tenants.users()
        guard let limitedTo else { return all }
        let members = Set(try await tenants.members(of: limitedTo).map(\.userID))
        return all.filter { members.contains($0.id) }
    }

    /// The context a new key for `user` is limited to: whatever was asked for an unrestricted
    /// admin; for a limited key its own context (the default when none is asked for), and only for
    /// a member of it.
    package func restrictionForNewKey(asked: ContextID?, for user: UserID, tenants: any TenantStore) async throws
        -> ContextID?
    {
        guard let limitedTo else { return asked }
        if let asked, asked != limitedTo {
            throw Self.outside(
                "this API key is limited to context \(limitedTo) and can only create keys limited to it, not to \(asked)")
        }
        guard try await tenants.members(of: limitedTo).contains(where: { $0.userID == user }) else {
            throw Self.outside(
                "this API key is limited to context \(limitedTo) and can only create keys for its members; "
                    + "user \(user) is not one")
        }
        return limitedTo
    }

    /// Refuses a key the caller may not see or revoke: for a limited key, any key not limited to
    /// its context.
    package func require(key: APIKeyRecord) throws {
        guard let limitedTo, key.contextID != limitedTo else { return }
        throw Self.outside("this API key is limited to context \(limitedTo) and cannot reach key \(key.id)")
    }

    private static func outside(_ why: String) -> APIError {
        APIError(status: .forbidden, message: why, type: "permission_error", code: "outside_key_scope")
    }
}
