package import Hummingbird
import NIOCore
package import TernAgent
package import TernCore

/// The per-request context of Tern's router.
package struct TernRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware; `nil` on public routes.
    package var identity: ResolvedIdentity?
    /// The client's connection, for ``ConnectionWatch``.
    package let connection: ObjectIdentifier

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.connection = ObjectIdentifier(source.channel)
    }

    /// Chat requests carry whole conversations; 4 MiB leaves room for long threads.
    /// ``ChatBodyLimitMiddleware`` sets the configured cap (`TERN_MAX_BODY_MB`) on the chat routes.
    package var maxUploadSize: Int = 4 * 1024 * 1024

    /// A trusted proxy sent this request without naming a user. Only `GET /v1/models` lets it
    /// through (with just `tern`), so Open WebUI lists the model and its chats show Tern's 401
    /// naming the setting to turn on, instead of an empty model list.
    package var unidentifiedProxy = false

    /// The turn this request runs as (turn routes only), set by ``RateLimitMiddleware``.
    package var rateAdmission: RateAdmission?

    /// The Open WebUI chat this request belongs to (`X-OpenWebUI-Chat-Id`), only for requests with
    /// a trusted proxy key; see ``ResolvedIdentity/forwardedChatID``.
    package var forwardedChatID: String? { identity?.forwardedChatID }

    /// The caller's identity; throws 401 if a route forgot its authentication middleware.
    package func requireIdentity() throws -> ResolvedIdentity {
        guard let identity else {
            throw APIError(status: .unauthorized, message: "authentication required", type: "authentication_error")
        }
        return identity
    }
}
