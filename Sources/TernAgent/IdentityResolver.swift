import Foundation
import Logging
import TernCore

/// Who is calling and in which context: the one answer every channel asks for.
package struct ResolvedIdentity: Sendable, Equatable {
    package var user: User
    package var context: ContextID
    /// The key's context restriction, when the caller used a restricted API key.
    package var restrictedTo: ContextID?

    package init(user: User, context: ContextID, restrictedTo: ContextID? = nil) {
        self.user = user
        self.context = context
        self.restrictedTo = restrictedTo
    }
}

/// A user an authenticating proxy (Open WebUI) vouches for, from its forwarded headers.
package struct ForwardedUser: Sendable, Equatable {
    package var email: String
    package var name: String?
    package var role: String?

    package init(email: String, name: String? = nil, role: String? = nil) {
        self.email = email
        self.name = name
        self.role = role
    }
}

/// Why a caller could not be resolved. Each case maps to one HTTP status at the edge.
package enum IdentityError: Error, Equatable, CustomStringConvertible {
    /// 401: no or bad credentials.
    case unauthenticated(String)
    /// 403: known caller, not allowed there.
    case forbidden(String)
    /// 404: the named context does not exist.
    case unknownContext(String)

    package var description: String {
        switch self {
        case .unauthenticated(let why), .forbidden(let why), .unknownContext(let why): why
        }
    }
}

/// Turns credentials into `(user, context)` for every channel.
///
/// - A static key (`TERN_API_KEYS`) is the local user.
/// - A trusted proxy key (`TERN_TRUSTED_PROXY_KEYS`) may vouch for a forwarded user, who is
///   created with a personal context on first sight; the forwarded role counts only then.
///   Forwarded headers with any other credential are ignored.
/// - A stored API key (`tern_…`) is its user, limited to its context when it has one.
/// - With no keys configured at all, callers without credentials are the local user.
///
/// Every presented secret is compared in constant time against every configured one.
package struct IdentityResolver: Sendable {
    private let tenants: any TenantStore
    private let keys: any APIKeyStore
    private let staticKeys: [String]
    private let proxyKeys: [String]
    private let clock: any WallClock
    private let logger: Logger

    package init(
        tenants: any TenantStore, keys: any APIKeyStore, staticKeys: [String], proxyKeys: [String],
        clock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "tern.identity")
    ) {
        self.tenants = tenants
        self.keys = keys
        self.staticKeys = staticKeys
        self.proxyKeys = proxyKeys
        self.clock = clock
        self.logger = logger
    }

    /// Whether the server runs without any configured key (only allowed on loopback).
    package var isOpen: Bool { staticKeys.isEmpty && proxyKeys.isEmpty }

    /// Authenticates the caller and picks the context.
    ///
    /// - Parameters:
    ///   - bearer: the presented secret, if any.
    ///   - forwarded: the user a proxy vouches for, if the request carried such headers.
    ///   - contextName: the context the request asks for (`X-Tern-Context`, `tern/<name>`).
    package func resolve(bearer: String?, forwarded: ForwardedUser?, contextName: String?) async throws
        -> ResolvedIdentity
    {
        let user: User
        var restriction: ContextID?
        if let bearer, !bearer.isEmpty {
            if matches(bearer, proxyKeys), let forwarded {
                user = try await forwardedUser(forwarded)
            } else if matches(bearer, staticKeys) || matches(bearer, proxyKeys) {
                user = try await localUser()
            } else if let record = try await keys.authenticate(bearer) {
                guard let owner = try await tenants.user(record.userID) else {
                    throw IdentityError.unauthenticated("the API key's user no longer exists")
                }
                user = owner
                restriction = record.contextID
            } else {
                throw IdentityError.unauthenticated("invalid API key")
            }
        } else if isOpen {
            user = try await localUser()
        } else {
            throw IdentityError.unauthenticated("missing Authorization header; send 'Authorization: Bearer <api key>'")
        }
        let context = try await chooseContext(for: user, named: contextName, restrictedTo: restriction)
        return ResolvedIdentity(user: user, context: context, restrictedTo: restriction)
    }

    /// Switches an already resolved caller to another context by name, with the same checks.
    package func switchContext(_ identity: ResolvedIdentity, to name: String) async throws -> ResolvedIdentity {
        var switched = identity
        switched.context = try await chooseContext(for: identity.user, named: name, restrictedTo: identity.restrictedTo)
        return switched
    }

    /// The contexts the user may use, honouring a key's restriction.
    package func contexts(for identity: ResolvedIdentity) async throws -> [Membership] {
        let all = try await tenants.memberships(of: identity.user.id)
        guard let restriction = identity.restrictedTo else { return all }
        return all.filter { $0.contextID == restriction }
    }

    private func matches(_ presented: String, _ configured: [String]) -> Bool {
        var matched = false
        for key in configured {
            // No early exit: timing does not reveal which key matched.
            matched = constantTimeEquals(presented, key) || matched
        }
        return matched
    }

    private func localUser() async throws -> User {
        guard let user = try await tenants.user(.localUser) else {
            throw IdentityError.unauthenticated("the built-in local user is missing; run `tern migrate`")
        }
        return user
    }

    private func forwardedUser(_ forwarded: ForwardedUser) async throws -> User {
        let email = User.normalise(email: forwarded.email)
        if let existing = try await tenants.user(email: email) {
            if existing.lastSeenAt.map({ clock.now().timeIntervalSince($0) > 300 }) ?? true {
                try await tenants.touch(existing.id, at: clock.now())
            }
            return existing
        }
        let role: UserRole = forwarded.role?.lowercased() == "admin" ? .admin : .user
        do {
            let (user, context) = try await tenants.provisionUser(
                email: email, displayName: forwarded.name ?? email, role: role)
            logger.notice(
                "provisioned forwarded user",
                metadata: ["user": "\(user.id)", "context": "\(context.name)", "role": "\(role.rawValue)"])
            return user
        } catch StoreError.conflict {
            // Another request provisioned the same user first.
            guard let user = try await tenants.user(email: email) else {
                throw StoreError.database("user \(email) vanished after a conflicting insert")
            }
            return user
        } catch StoreError.invalid(let why) {
            throw IdentityError.unauthenticated("the forwarded user is invalid: \(why)")
        }
    }

    private func chooseContext(for user: User, named name: String?, restrictedTo restriction: ContextID?)
        async throws -> ContextID
    {
        let memberships = try await tenants.memberships(of: user.id)
        if let name, !name.isEmpty {
            guard let context = try await tenants.context(named: name) else {
                throw IdentityError.unknownContext("no context named '\(name)'")
            }
            guard memberships.contains(where: { $0.contextID == context.id }) else {
                throw IdentityError.forbidden("you are not a member of context '\(name)'")
            }
            if let restriction, restriction != context.id {
                throw IdentityError.forbidden("this API key only works in its own context, not in '\(name)'")
            }
            return context.id
        }
        if let restriction {
            guard memberships.contains(where: { $0.contextID == restriction }) else {
                throw IdentityError.forbidden("you are no longer a member of this API key's context")
            }
            return restriction
        }
        guard let fallback = memberships.first(where: \.isDefault) ?? memberships.first else {
            throw IdentityError.forbidden("you belong to no context yet; ask an admin to add you to one")
        }
        return fallback.contextID
    }
}
