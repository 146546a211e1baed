package import Hummingbird
import Synchronization
package import TernAgent
package import TernCore

/// Which requests the limits count, by route.
///
/// - `GET /v1/models` is never counted: front ends (Open WebUI) poll it on every page load and
///   it costs a membership lookup. Health probes and the OpenAPI document sit outside the
///   authenticated groups, so nothing here sees them.
/// - Turns (`POST /v1/chat/completions`, `POST /v1/agent`) take a token and count against the
///   turns one user may run at once, from their admission until their response (stream
///   included) has ended. A chat completion is admitted once its model has picked the context.
/// - Every other authenticated route (approvals, the admin API) takes a token.
enum RateLimitedRoute: Equatable {
    /// Not counted.
    case exempt
    /// A token.
    case request
    /// A token and a turn slot, admitted before the handler runs.
    case turn
    /// A token and a turn slot, admitted by the handler once the model has picked the context.
    case chatTurn

    init(_ request: Request, endpoint: String?) {
        let path = endpoint ?? request.uri.path
        switch (request.method, path) {
        case (.get, "/v1/models"): self = .exempt
        case (.post, "/v1/chat/completions"): self = .chatTurn
        case (.post, "/v1/agent"): self = .turn
        default: self = .request
        }
    }
}

/// Counts failed authentications per client address (``ConnectionWatch/clientAddress(of:context:)``)
/// and answers 429 to an address that used up its allowance, before any key is checked. Runs
/// in front of ``AuthMiddleware``.
package struct AuthFailureLimitMiddleware: RouterMiddleware {
    package typealias Context = TernRequestContext
    let limiter: RateLimiter
    let connections: ConnectionWatch

    package init(limiter: RateLimiter, connections: ConnectionWatch) {
        self.limiter = limiter
        self.connections = connections
    }

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let client = connections.clientAddress(of: request, context: context)
        try limiter.checkAuthFailures(from: client, path: request.uri.path)
        do {
            return try await next(request, context)
        } catch let error as APIError where error.status == .unauthorized && error.code == "invalid_api_key" {
            // A wrong, unknown or malformed key; a missing one is not a guess.
            limiter.noteAuthFailure(from: client)
            throw error
        }
    }
}

/// Applies ``RateLimiter`` to authenticated requests (after ``AuthMiddleware``), in the scope of
/// the request's context; see ``RateLimitedRoute`` for what counts.
package struct RateLimitMiddleware: RouterMiddleware {
    package typealias Context = TernRequestContext
    let limiter: RateLimiter
    let connections: ConnectionWatch
    let tenants: any TenantStore

    package init(limiter: RateLimiter, connections: ConnectionWatch, tenants: any TenantStore) {
        self.limiter = limiter
        self.connections = connections
        self.tenants = tenants
    }

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let route = RateLimitedRoute(request, endpoint: context.endpointPath)
        // No identity: a trusted proxy listing models without a user (see AuthMiddleware).
        guard let identity = context.identity, route != .exempt else { return try await next(request, context) }
        let client = connections.clientAddress(of: request, context: context)
        let path = request.uri.path
        let scope: @Sendable (ContextID) async throws -> RateLimiter.Scope = { [limiter, tenants] id in
            limiter.scope(forContextNamed: try await Self.contextName(id, limiter: limiter, tenants: tenants))
        }
        guard route != .request else {
            try limiter.admit(identity, in: try await scope(identity.context), client: client, path: path)
            return try await next(request, context)
        }
        let admission = RateAdmission(limiter: limiter, client: client, path: path, scope: scope)
        // The chat route admits the turn itself once the model name has picked its context.
        if route == .turn { try await admission.admit(identity) }
        var context = context
        context.rateAdmission = admission
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            try await admission.chargeIfPending(identity)
            admission.end()
            throw error
        }
        try await admission.chargeIfPending(identity)
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { admission.end() }
            try await body.write(writer)
        }
        return response
    }

    /// The name of `id`, only looked up when some context has its own limits.
    private static func contextName(_ id: ContextID, limiter: RateLimiter, tenants: any TenantStore) async throws
        -> String?
    {
        guard !limiter.settings.contexts.isEmpty else { return nil }
        if let cached = limiter.contextNames.name(of: id) { return cached }
        let name = try await tenants.context(id)?.name
        limiter.contextNames.remember(name, for: id)
        return name
    }
}

/// A turn's place among the limits: a token and a slot among the user's running turns, held
/// until the response (stream included) has ended, or, should the response be dropped unwritten,
/// until this is released.
///
/// ``RateLimitMiddleware`` admits agent runs at once; the chat route calls ``admit(_:)`` itself
/// after the model name (`tern/<context>`) has picked the context, so the turn counts in that
/// context's scope. A chat request that fails before (a bad body) is still charged a token.
package final class RateAdmission: Sendable {
    private enum State {
        case pending
        case running(turn: String)
        case ended
    }

    private let limiter: RateLimiter
    private let client: String
    private let path: String
    private let scope: @Sendable (ContextID) async throws -> RateLimiter.Scope
    private let state = Mutex(State.pending)

    init(
        limiter: RateLimiter, client: String, path: String,
        scope: @escaping @Sendable (ContextID) async throws -> RateLimiter.Scope
    ) {
        self.limiter = limiter
        self.client = client
        self.path = path
        self.scope = scope
    }

    deinit { end() }

    /// Takes the request's tokens and a turn slot in the scope of `identity`'s context (call once
    /// the context is final); throws 429 naming the limit reached.
    package func admit(_ identity: ResolvedIdentity) async throws {
        let turn: String
        do {
            let scope = try await scope(identity.context)
            try limiter.admit(identity, in: scope, client: client, path: path)
            turn = try limiter.beginTurn(identity, in: scope, client: client, path: path)
        } catch {
            state.withLock { $0 = .ended }  // a refused request is not charged again
            throw error
        }
        let kept = state.withLock { state in
            guard case .pending = state else { return false }
            state = .running(turn: turn)
            return true
        }
        if !kept { limiter.endTurn(turn) }
    }

    /// Charges a token to a request that ended without being admitted.
    func chargeIfPending(_ identity: ResolvedIdentity) async throws {
        guard state.withLock({ if case .pending = $0 { true } else { false } }) else { return }
        limiter.charge(identity, in: try await scope(identity.context))
    }

    /// Releases the turn's slot; later calls do nothing.
    func end() {
        let turn = state.withLock { state -> String? in
            defer { state = .ended }
            if case .running(let turn) = state { return turn }
            return nil
        }
        if let turn { limiter.endTurn(turn) }
    }
}

/// Context names by id for a minute, so per-context limits cost no lookup per request; bounded.
final class ContextNameCache: Sendable {
    private let entries = Mutex<[ContextID: (name: String?, at: ContinuousClock.Instant)]>([:])
    private let now: @Sendable () -> ContinuousClock.Instant

    init(now: @escaping @Sendable () -> ContinuousClock.Instant) { self.now = now }

    /// The cached name (itself `nil` for a context that does not exist), or `nil` when unknown
    /// or older than a minute (a rename takes effect within one).
    func name(of id: ContextID) -> String?? {
        let time = now()
        return entries.withLock { entries in
            guard let entry = entries[id], time - entry.at < .seconds(60) else { return nil }
            return .some(entry.name)
        }
    }

    func remember(_ name: String?, for id: ContextID) {
        let time = now()
        entries.withLock { entries in
            if entries.count >= 4096 { entries.removeAll() }  // contexts are few; stay bounded anyway
            entries[id] = (name, time)
        }
    }
}

extension RouterGroup where Context == TernRequestContext {
    /// Authentication with its limits: failed attempts per client address, the caller, then
    /// the caller's rate limits (``RateLimitMiddleware``).
    package func authenticated(_ dependencies: HTTPDependencies) -> RouterGroup<Context> {
        add(middleware: AuthFailureLimitMiddleware(limiter: dependencies.rateLimiter, connections: dependencies.connections))
            .add(middleware: AuthMiddleware(resolver: dependencies.identity))
            .add(
                middleware: RateLimitMiddleware(
                    limiter: dependencies.rateLimiter, connections: dependencies.connections,
                    tenants: dependencies.tenants))
    }
}
