package import Foundation
package import HTTPTypes
package import TernAgent
package import TernCore

/// What a caller may reach through the admin API: the one place every admin handler asks.
///
/// - An admin's unrestricted key (or the local user) reaches everything.
/// - A key limited to context X (`tern keys create … --context X`) reaches X only, and only when
///   its user is an admin or may manage X (its owner, ``MemberRole/allows(_:)``).
/// - A non-admin's unrestricted key reaches the contexts its user owns.
///
/// Short of everything, lists are filtered to what is reached, everything global (creating
/// contexts or users, changing a user, deleting a context) is refused, and keys are minted only
/// limited to a reached context, only for its members. Adding a stdio MCP server (a command on
/// this host) and a dangerous tool's permission need an admin user. Any other caller is refused.
package struct AdminScope: Sendable {
    /// What a handler is about to do in a context.
    package enum Use: Sendable {
        /// Rename it, list or change its members, list, mint or revoke its keys.
        case manage
        /// Tool permissions and MCP servers (``PortalAccess/Action/configureTools``): owners too.
        case configure
        /// A stdio MCP server or a dangerous tool's permission (``PortalAccess/Action/configureHost``):
        /// admins only, even in their own context.
        case configureHost
    }

    /// The contexts a caller reaches.
    package enum Reach: Sendable, Equatable {
        /// An admin's unrestricted key: every context.
        case everything
        /// A context-limited key: that context.
        case limitedKey(ContextID)
        /// A non-admin's unrestricted key: the contexts its user owns.
        case owned(Set<ContextID>)
    }

    package let reach: Reach
    /// Whether the caller's user is an admin.
    package let isAdmin: Bool

    /// The one context the key is limited to, if it is a limited key.
    package var limitedTo: ContextID? {
        if case .limitedKey(let context) = reach { context } else { nil }
    }

    /// The first path segments under `/admin/api/v1` whose handlers check an ``AdminScope``;
    /// callers short of an admin's unrestricted key are refused everywhere else (e.g.
    /// `diagnostics`, and any route added later until it checks one), so new routes fail closed.
    package static let scopedRoutes: Set<String> = ["contexts", "users", "keys"]

    /// Whether the caller may enter the admin route at `path` at all; the cheap check of
    /// ``AdminOnlyMiddleware``. Admins with an unrestricted key enter everywhere; anyone else
    /// only ``scopedRoutes``, whose handlers check them further through ``resolve(_:tenants:)``.
    package static func mayEnter(_ identity: ResolvedIdentity, path: String) -> Bool {
        if identity.restrictedTo == nil, identity.user.role == .admin { return true }
        let segments = path.split(separator: "/")
        guard let root = segments.firstIndex(of: "v1").map({ segments.index(after: $0) }), root < segments.endIndex
        else { return false }
        return scopedRoutes.contains(String(segments[root]))
    }

    /// The scope of `identity`, or a 403 saying why it has none.
    package static func resolve(_ identity: ResolvedIdentity, tenants: any TenantStore) async throws -> AdminScope {
        let isAdmin = identity.user.role == .admin
        guard let restriction = identity.restrictedTo else {
            if isAdmin { return AdminScope(reach: .everything, isAdmin: true) }
            let owned = try await tenants.memberships(of: identity.user.id).filter { $0.role.allows(.manage) }
            guard !owned.isEmpty else { throw Self.adminRequired }
            return AdminScope(reach: .owned(Set(owned.map(\.contextID))), isAdmin: false)
        }
        if !isAdmin {
            let manages = try await tenants.members(of: restriction)
                .contains { $0.userID == identity.user.id && $0.role.allows(.manage) }
            guard manages else {
                throw APIError(
                    status: .forbidden,
                    message: "this API key is limited to a context its user does not own; only admins and the context's "
                        + "owners may manage it", type: "permission_error", code: "admin_required")
            }
        }
        return AdminScope(reach: .limitedKey(restriction), isAdmin: isAdmin)
    }

    static let limitedKeyRefused = APIError(
        status: .forbidden, message: "a context-limited API key cannot use this admin endpoint",
        type: "permission_error", code: "outside_key_scope")

    static let adminRequired = APIError(
        status: .forbidden, message: "this endpoint is for admins only", type: "permission_error", code: "admin_required")

    /// Refuses a context outside the scope, or a use the caller's user may not make of it.
    /// What a role may do is ``PortalAccess``'s answer, the one the portal gets too; a scope short
    /// of everything reaches only contexts its user owns, so it asks as their owner.
    package func require(_ context: ContextID, for use: Use) throws {
        let action: PortalAccess.Action =
            switch use {
            case .manage: .manageMembers
            case .configure: .configureTools
            case .configureHost: .configureHost
            }
        if let refusal = PortalAccess.refusal(isAdmin: isAdmin, role: .owner, action) {
            throw APIError(status: .forbidden, message: refusal, type: "permission_error", code: "admin_required")
        }
        switch reach {
        case .everything: break
        case .limitedKey(let limitedTo) where limitedTo != context:
            throw Self.outside("this API key is limited to context \(limitedTo) and cannot reach context \(context)")
        case .owned(let owned) where !owned.contains(context):
            throw Self.outside("you do not own context \(context); only its owners and admins may manage it")
        case .limitedKey, .owned: break
        }
    }

    /// Refuses anything that reaches beyond one context (creating contexts or users, changing a
    /// user, deleting a context) to anyone short of an admin's unrestricted key; `action`
    /// completes "cannot …".
    package func requireUnlimited(_ action: String) throws {
        switch reach {
        case .everything: return
        case .limitedKey(let limitedTo):
            throw Self.outside("this API key is limited to context \(limitedTo) and cannot \(action)")
        case .owned:
            throw Self.outside("only admins can \(action); owners manage their own contexts")
        }
    }

    /// Whether a context is inside the scope (for filtering lists).
    package func contains(_ context: ContextID) -> Bool {
        switch reach {
        case .everything: true
        case .limitedKey(let limitedTo): limitedTo == context
        case .owned(let owned): owned.contains(context)
        }
    }

    /// Whether a key is inside the scope: every key for an admin, otherwise keys limited to a
    /// reached context.
    package func contains(key: APIKeyRecord) -> Bool {
        reach == .everything || key.contextID.map(contains) == true
    }

    /// The users the caller may see: everyone, or the members of the reached contexts.
    package func visibleUsers(_ tenants: any TenantStore) async throws -> [User] {
        let all = try await tenants.users()
        let reached: [ContextID]
        switch reach {
        case .everything: return all
        case .limitedKey(let limitedTo): reached = [limitedTo]
        case .owned(let owned): reached = owned.sorted { $0.rawValue < $1.rawValue }
        }
        var members = Set<UserID>()
        for context in reached { members.formUnion(try await tenants.members(of: context).map(\.userID)) }
        return all.filter { members.contains($0.id) }
    }

    /// The context a new key for `user` is limited to: whatever was asked for an admin's
    /// unrestricted key; otherwise a reached context (the key's own, or the only one owned, when
    /// none is asked for), and only for a member of it.
    package func restrictionForNewKey(asked: ContextID?, for user: UserID, tenants: any TenantStore) async throws
        -> ContextID?
    {
        let chosen: ContextID
        switch reach {
        case .everything:
            return asked
        case .limitedKey(let limitedTo):
            if let asked, asked != limitedTo {
                throw Self.outside(
                    "this API key is limited to context \(limitedTo) and can only create keys limited to it, not to \(asked)")
            }
            chosen = limitedTo
        case .owned(let owned):
            if let asked {
                guard owned.contains(asked) else {
                    throw Self.outside("you do not own context \(asked); you can create keys only for contexts you own")
                }
                chosen = asked
            } else if owned.count == 1, let only = owned.first {
                chosen = only
            } else {
                throw APIError.invalid(
                    "'context_id' is required: a key you create is limited to one of the contexts you own",
                    param: "context_id")
            }
        }
        guard try await tenants.members(of: chosen).contains(where: { $0.userID == user }) else {
            throw Self.outside(
                "keys for context \(chosen) can only be created for its members; user \(user) is not one")
        }
        return chosen
    }

    /// Refuses a key the caller may not see or revoke.
    package func require(key: APIKeyRecord) throws {
        guard !contains(key: key) else { return }
        if let limitedTo {
            throw Self.outside("this API key is limited to context \(limitedTo) and cannot reach key \(key.id)")
        }
        throw Self.outside("key \(key.id) is not limited to a context you own")
    }

    private static func outside(_ why: String) -> APIError {
        APIError(status: .forbidden, message: why, type: "permission_error", code: "outside_key_scope")
    }
}
