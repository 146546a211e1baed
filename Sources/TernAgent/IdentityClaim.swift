import Foundation
package import TernCore

/// What a channel knows about who is asking, before the ``IdentityResolver`` says who that is.
package enum IdentityClaim: Sendable, Equatable {
    /// An API request: the presented secret, what an authenticating proxy forwarded (read only
    /// with a trusted proxy key) and the context asked for by name.
    case bearer(String?, forwarded: ForwardedCredentials?, contextName: String?)
    /// A Telegram user writing in a chat: the Tern user they linked, in the context the chat chose
    /// (`/context`), else their default one.
    case telegram(user: Int64, chat: Int64)
    /// The operator at the terminal (`tern chat`): the local user, in the named context (the
    /// default one when `nil`).
    case local(contextName: String?)
}

/// Chat accounts linked to Tern users, for ``IdentityClaim/telegram(user:chat:)``.
package struct LinkedAccounts: Sendable {
    /// Where links (`/start <code>`) and each chat's chosen context are stored.
    package var channels: any ChannelStore
    /// Telegram user ids that act as the local user without a link (`TERN_TELEGRAM_ALLOWED_USERS`).
    package var allowedTelegramUsers: Set<Int64>

    package init(channels: any ChannelStore, allowedTelegramUsers: Set<Int64> = []) {
        self.channels = channels
        self.allowedTelegramUsers = allowedTelegramUsers
    }
}

extension IdentityResolver {
    /// The `channel_state` channel of Telegram's links and chat contexts.
    package static let telegramChannel = "telegram"

    /// Why a Telegram user is refused: no link and not allow-listed.
    static let unlinkedTelegramUser = "this Telegram account is not linked to a Tern user"

    /// Resolves any channel's claim: every channel's caller goes through here.
    package func resolve(_ claim: IdentityClaim) async throws -> ResolvedIdentity {
        switch claim {
        case .bearer(let bearer, let forwarded, let contextName):
            return try await resolve(bearer: bearer, forwarded: forwarded, contextName: contextName)
        case .telegram(let telegramUser, let chat):
            guard let userID = try await linkedUser(telegramUser: telegramUser),
                let user = try await tenants.user(userID)
            else { throw IdentityError.unauthenticated(Self.unlinkedTelegramUser) }
            let membership = try await chatContext(for: user, chat: chat)
            return ResolvedIdentity(user: user, context: membership.contextID, role: membership.role)
        case .local(let contextName):
            let user = try await localUser()
            let membership = try await chooseContext(for: user, named: contextName, restrictedTo: nil)
            return ResolvedIdentity(user: user, context: membership.contextID, role: membership.role)
        }
    }

    /// The Tern user a Telegram user linked, the local user for an allow-listed Telegram user, else
    /// `nil`.
    package func linkedUser(telegramUser: Int64) async throws -> UserID? {
        guard let linkedAccounts else { return nil }
        if let linked = try await linkedAccounts.channels.linkedUser(telegramUserID: telegramUser) { return linked }
        return linkedAccounts.allowedTelegramUsers.contains(telegramUser) ? .localUser : nil
    }

    /// The context a chat chose, while the user is still a member of it; else the default one.
    private func chatContext(for user: User, chat: Int64) async throws -> Membership {
        let memberships = try await tenants.memberships(of: user.id)
        if let chosen = try await linkedAccounts?.channels.chatContext(chat: chat, channel: Self.telegramChannel),
            let membership = memberships.first(where: { $0.contextID == chosen })
        {
            return membership
        }
        guard let fallback = memberships.first(where: \.isDefault) ?? memberships.first else {
            throw IdentityError.forbidden(Self.noContext)
        }
        return fallback
    }
}
