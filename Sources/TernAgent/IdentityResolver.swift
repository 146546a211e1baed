import Foundation
package import Logging
package import TernCore

/// Who is calling and in which context: the one answer every channel asks for.
package struct ResolvedIdentity: Sendable, Equatable {
    package var user: User
    package var context: ContextID
    /// The key's context restriction, when the caller used a restricted API key.
    package var restrictedTo: ContextID?
    /// The proxy's chat this request belongs to (Open WebUI's `X-OpenWebUI-Chat-Id`); only ever
    /// set for a request with a trusted proxy key, `nil` with any other credential.
    package var forwardedChatID: String?
    /// The caller's role in ``context``; what it allows is ``MemberRole/allows(_:)``'s answer.
    package var role: MemberRole
    /// The API key the caller used, for per-key limits: a stored key's id, `static:<n>` for the
    /// n-th `TERN_API_KEYS` key; `nil` without a key and for a trusted proxy key (its requests
    /// count per forwarded user).
    package var apiKeyID: String?

    package init(
        user: User, context: ContextID, restrictedTo: ContextID? = nil, forwardedChatID: String? = nil,
        role: MemberRole = .member, apiKeyID: String? = nil
    ) {
        self.apiKeyID = apiKeyID
        self.user = user
        self.context = context
        self.role = role
        self.restrictedTo = restrictedTo
        self.forwardedChatID = forwardedChatID
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

/// Everything an authenticating proxy sent about a request, as read off the wire. Only trusted
/// with a trusted proxy key; with any other credential it is ignored unread.
package struct ForwardedCredentials: Sendable, Equatable {
    /// A signed identity token (Open WebUI's `X-OpenWebUI-User-Jwt`), not yet verified.
    package var token: String?
    /// The user named in plain headers, or why those headers could not be read (e.g. a name that
    /// is not valid percent-encoding); `nil` when the request named no user in plain headers.
    package var user: Result<ForwardedUser, IdentityError>?
    /// The proxy's chat id (Open WebUI's `X-OpenWebUI-Chat-Id`), not yet validated.
    package var chatID: String?

    package init(token: String? = nil, user: Result<ForwardedUser, IdentityError>? = nil, chatID: String? = nil) {
        self.token = token
        self.user = user
        self.chatID = chatID
    }
}

/// Verifies a proxy's signed identity token (Open WebUI's HS256 JWT) and returns the user it names.
///
/// Declared here so the resolver owns the policy; implemented next to the wire format (TernHTTP).
package protocol ForwardedTokenVerifier: Sendable {
    /// The user the token vouches for; throws ``IdentityError/forwardedIdentity(_:)`` saying why not.
    func verify(_ token: String) async throws(IdentityError) -> ForwardedUser
}

/// Why a caller could not be resolved. Each case maps to one HTTP status at the edge.
package enum IdentityError: Error, Equatable, CustomStringConvertible {
    /// 401: no or bad credentials.
    case unauthenticated(String)
    /// 403: known caller, not allowed there.
    case forbidden(String)
    /// 404: the named context does not exist.
    case unknownContext(String)
    /// 401: a trusted proxy's request names no user Tern can trust (missing, unsigned or badly
    /// signed identity, unreadable headers); the message says which proxy setting to change.
    case forwardedIdentity(String)

    package var description: String {
        switch self {
        case .unauthenticated(let why), .forbidden(let why), .unknownContext(let why), .forwardedIdentity(let why): why
        }
    }
}

/// Turns credentials into `(user, context)` for every channel.
///
/// - A static key (`TERN_API_KEYS`) is the local user.
/// - A trusted proxy key (`TERN_TRUSTED_PROXY_KEYS`) must vouch for a forwarded user, who is
///   created with a personal context on first sight; the forwarded role counts only then. A proxy
///   request without a user it can trust is refused (fail closed), never the local user. With a
///   token verifier (`TERN_OPENWEBUI_JWT_SECRET`) only a valid signed token names the user and
///   plain headers are ignored; without one, plain headers name the user and a lone token is
///   refused, since nothing can check it. Forwarded data with any other credential is ignored.
/// - A stored API key (`tern_…`) is its user, limited to its context when it has one.
/// - With no keys configured at all, callers without credentials are the local user until the
///   server is claimed (a stored key or a non-local user exists; see ``OpenLoopbackGate``), or
///   always with `TERN_OPEN_LOOPBACK=true`.
/// - A Telegram user is the Tern user they linked with a code, or the local user when allow-listed
///   (``LinkedAccounts``); the terminal is the local user (see ``IdentityClaim``).
///
/// Every presented secret is compared in constant time against every configured one.
package struct IdentityResolver: Sendable {
    let tenants: any TenantStore
    private let keys: any APIKeyStore
    private let staticKeys: [String]
    private let proxyKeys: [String]
    private let forwardedTokens: (any ForwardedTokenVerifier)?
    private let clock: any WallClock
    private let logger: Logger
    private let loopback: OpenLoopbackGate
    /// Chat accounts linked to Tern users (Telegram); `nil` when no chat channel is configured.
    let linkedAccounts: LinkedAccounts?

    /// - Parameter forwardedTokens: verifies the proxy's signed identity token; when set, a proxy
    ///   request must carry a valid one.
    /// - Parameter openLoopback: `TERN_OPEN_LOOPBACK=true`: without configured keys, keyless callers
    ///   stay the local admin even after stored keys or users exist.
    /// - Parameter linkedAccounts: who Telegram users are (``IdentityClaim/telegram(user:chat:)``).
    package init(
        tenants: any TenantStore, keys: any APIKeyStore, staticKeys: [String], proxyKeys: [String],
        forwardedTokens: (any ForwardedTokenVerifier)? = nil, openLoopback: Bool = false,
        linkedAccounts: LinkedAccounts? = nil, clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "tern.identity")
    ) {
        self.linkedAccounts = linkedAccounts
        loopback = OpenLoopbackGate(openByConfiguration: openLoopback, tenants: tenants, keys: keys, clock: clock)
        self.tenants = tenants
        self.keys = keys
        self.staticKeys = staticKeys
        self.proxyKeys = proxyKeys
        self.forwardedTokens = forwardedTokens
        self.clock = clock
        self.logger = logger
    }

    /// Whether the server runs without any configured key (only allowed on loopback).
    package var isOpen: Bool { staticKeys.isEmpty && proxyKeys.isEmpty }

    /// How keyless requests are treated now: ``OpenLoopbackGate/Mode/keysRequired`` whenever keys
    /// are configured, otherwise what the ``OpenLoopbackGate`` says.
    package func keylessMode() async throws -> OpenLoopbackGate.Mode {
        isOpen ? try await loopback.mode() : .keysRequired
    }

    /// Why a keyless request on a claimed open server is refused.
    package static let claimedServer =
        "missing Authorization header: this server has stored API keys or users, so keyless requests are no "
        + "longer the local admin; send 'Authorization: Bearer <api key>' (or set TERN_OPEN_LOOPBACK=true to keep "
        + "keyless loopback access)"

    /// Authenticates the caller and picks the context.
    ///
    /// - Parameters:
    ///   - bearer: the presented secret, if any.
    ///   - forwarded: what a proxy sent about the request; read only when `bearer` is a trusted
    ///     proxy key.
    ///   - contextName: the context the request asks for (`X-Tern-Context`, `tern/<name>`).
    package func resolve(bearer: String?, forwarded: ForwardedCredentials?, contextName: String?) async throws
        -> ResolvedIdentity
    {
        let user: User
        var restriction: ContextID?
        var chatID: String?
        var keyID: String?
        if let bearer, !bearer.isEmpty {
            if matches(bearer, proxyKeys) {
                let credentials = forwarded ?? ForwardedCredentials()
                // Checked first, so a refused request provisions nobody.
                chatID = try Self.validChatID(credentials.chatID)
                user = try await forwardedUser(vouchedUser(credentials))
            } else if let index = matchIndex(bearer, staticKeys) {
                user = try await localUser()
                keyID = "static:\(index + 1)"
            } else if let record = try await keys.authenticate(bearer) {
                guard let owner = try await tenants.user(record.userID) else {
                    throw IdentityError.unauthenticated("the API key's user no longer exists")
                }
                user = owner
                restriction = record.contextID
                keyID = record.id
            } else {
                throw IdentityError.unauthenticated("invalid API key")
            }
        } else if isOpen {
            guard try await loopback.mode() != .keysRequired else {
                throw IdentityError.unauthenticated(Self.claimedServer)
            }
            user = try await localUser()
        } else {
            throw IdentityError.unauthenticated("missing Authorization header; send 'Authorization: Bearer <api key>'")
        }
        let membership = try await chooseContext(for: user, named: contextName, restrictedTo: restriction)
        return ResolvedIdentity(
            user: user, context: membership.contextID, restrictedTo: restriction, forwardedChatID: chatID,
            role: membership.role, apiKeyID: keyID)
    }

    /// Switches an already resolved caller to another context by name, with the same checks.
    package func switchContext(_ identity: ResolvedIdentity, to name: String) async throws -> ResolvedIdentity {
        var switched = identity
        let membership = try await chooseContext(for: identity.user, named: name, restrictedTo: identity.restrictedTo)
        switched.context = membership.contextID
        switched.role = membership.role
        return switched
    }

    /// The contexts the user may use, honouring a key's restriction.
    package func contexts(for identity: ResolvedIdentity) async throws -> [Membership] {
        let all = try await tenants.memberships(of: identity.user.id)
        guard let restriction = identity.restrictedTo else { return all }
        return all.filter { $0.contextID == restriction }
    }

    private func matches(_ presented: String, _ configured: [String]) -> Bool {
        matchIndex(presented, configured) != nil
    }

    /// The index of the configured key equal to `presented`.
    private func matchIndex(_ presented: String, _ configured: [String]) -> Int? {
        var matched: Int?
        for (index, key) in configured.enumerated() where constantTimeEquals(presented, key) {
            // No early exit: timing does not reveal which key matched.
            matched = matched ?? index
        }
        return matched
    }

    /// The user a trusted proxy's request names, or why it names none Tern can trust.
    private func vouchedUser(_ forwarded: ForwardedCredentials) async throws(IdentityError) -> ForwardedUser {
        if let verifier = forwardedTokens {
            // Plain headers are never a fallback: anyone holding the proxy key could forge them.
            guard let token = forwarded.token else { throw .forwardedIdentity(Self.noSignedIdentity) }
            return try await verifier.verify(token)
        }
        if let plain = forwarded.user { return try plain.get() }
        if forwarded.token != nil { throw .forwardedIdentity(Self.unverifiableToken) }
        throw .forwardedIdentity(Self.noForwardedIdentity)
    }

    static let noForwardedIdentity =
        "this key is a trusted proxy key (TERN_TRUSTED_PROXY_KEYS), but the request names no user: set "
        + "ENABLE_FORWARD_USER_INFO_HEADERS=true in Open WebUI so it sends X-OpenWebUI-User-Email (or set the same "
        + "secret as FORWARD_USER_INFO_HEADER_JWT_SECRET in Open WebUI and TERN_OPENWEBUI_JWT_SECRET in Tern)"
    static let noSignedIdentity =
        "TERN_OPENWEBUI_JWT_SECRET is set, so a trusted proxy must sign its user in X-OpenWebUI-User-Jwt, but the "
        + "request has no such header: set FORWARD_USER_INFO_HEADER_JWT_SECRET in Open WebUI to the same secret, "
        + "with ENABLE_FORWARD_USER_INFO_HEADERS=true"
    static let unverifiableToken =
        "the request names its user only in a signed X-OpenWebUI-User-Jwt, but Tern has no secret to verify it: "
        + "set TERN_OPENWEBUI_JWT_SECRET to the value of Open WebUI's FORWARD_USER_INFO_HEADER_JWT_SECRET"

    static let noContext = "you belong to no context yet; ask an admin to add you to one"

    /// Longest chat id accepted; Open WebUI's are UUIDs (36 characters).
    static let maxChatIDLength = 256

    /// The proxy's chat id, `nil` when absent or blank; refused when it could not be a chat id.
    static func validChatID(_ raw: String?) throws(IdentityError) -> String? {
        guard let id = raw?.trimmingCharacters(in: .whitespaces), !id.isEmpty else { return nil }
        guard id.count <= maxChatIDLength, id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .forwardedIdentity(
                "X-OpenWebUI-Chat-Id must be at most \(maxChatIDLength) visible ASCII characters without spaces")
        }
        return id
    }

    func localUser() async throws -> User {
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
            throw IdentityError.forwardedIdentity("the forwarded user is invalid: \(why)")
        }
    }

    /// The caller's membership of the context they asked for, their key's, or their default one.
    func chooseContext(for user: User, named name: String?, restrictedTo restriction: ContextID?)
        async throws -> Membership
    {
        let memberships = try await tenants.memberships(of: user.id)
        if let name, !name.isEmpty {
            guard let context = try await tenants.context(named: name) else {
                throw IdentityError.unknownContext("no context named '\(name)'")
            }
            guard let membership = memberships.first(where: { $0.contextID == context.id }) else {
                throw IdentityError.forbidden("you are not a member of context '\(name)'")
            }
            if let restriction, restriction != context.id {
                throw IdentityError.forbidden("this API key only works in its own context, not in '\(name)'")
            }
            return membership
        }
        if let restriction {
            guard let membership = memberships.first(where: { $0.contextID == restriction }) else {
                throw IdentityError.forbidden("you are no longer a member of this API key's context")
            }
            return membership
        }
        guard let fallback = memberships.first(where: \.isDefault) ?? memberships.first else {
            throw IdentityError.forbidden(Self.noContext)
        }
        return fallback
    }
}
