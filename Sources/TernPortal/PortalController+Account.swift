import Foundation
import Hummingbird
import TernCore
import TernHTTP

extension PortalController {
    func addAccountRoutes(to router: Router<TernRequestContext>) {
        router.get("admin/account", use: account)
        router.post("admin/account/keys", use: createOwnKey)
        router.post("admin/account/keys/:key/revoke", use: revokeOwnKey)
        router.post("admin/account/sessions/:session/revoke", use: revokeOwnSession)
    }

    /// `GET /admin/account`: every signed-in user's own API keys and sessions.
    @Sendable func account(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            let model = AccountModel(
                visit: visit, keys: try await apiKeys.keys(of: visit.user.id),
                sessions: try await portal.sessions.sessions(of: visit.user.id))
            return PortalPage.render("account", title: "My account", model: model, visit: visit, section: "My account")
        }
    }

    /// `POST /admin/account/keys` (name, context; idempotent).
    @Sendable func createOwnKey(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, form in
            try await createKey(
                for: visit.user.id, memberships: visit.memberships, back: "/admin/account", visit, form, request, context)
        }
    }

    /// `POST /admin/account/keys/{key}/revoke`: own keys only.
    @Sendable func revokeOwnKey(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, _ in
            try await revokeKey(of: visit.user.id, visit, request, context)
            return PortalPage.redirect(to: "/admin/account")
        }
    }

    /// `POST /admin/account/sessions/{session}/revoke`: signs one of the visitor's other browsers out.
    @Sendable func revokeOwnSession(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, _ in
            let id = try context.parameters.require("session")
            guard try await portal.sessions.sessions(of: visit.user.id).contains(where: { $0.id == id }) else {
                throw PortalFailure.notFound("session \(id) of yours")
            }
            try await portal.sessions.deleteSession(id)
            await audit(visit, request, context, action: "session.revoke", object: ("session", id))
            return PortalPage.redirect(to: "/admin/account")
        }
    }
}
