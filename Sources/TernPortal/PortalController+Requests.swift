import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TernAgent
import TernCore
import TernHTTP

extension PortalController {
    /// Runs a page for a signed-in visit and turns what it throws into a problem page that says
    /// why: ``PortalFailure`` with its status, the stores' and the agent's typed errors with theirs.
    func page(
        _ request: Request, _ context: TernRequestContext, _ body: (PortalVisit) async throws -> Response
    ) async throws -> Response {
        guard let visit = try await visit(request, context) else { return notSignedIn() }
        do {
            return try await body(visit)
        } catch let failure as PortalFailure {
            return PortalPage.problem(failure.status, failure.message, visit: visit, next: Self.back(request))
        } catch StoreError.notFound(let what) {
            return PortalPage.problem(.notFound, "Not found: \(what).", visit: visit, next: Self.back(request))
        } catch StoreError.conflict(let why) {
            return PortalPage.problem(.conflict, why, visit: visit, next: Self.back(request))
        } catch StoreError.invalid(let why) {
            return PortalPage.problem(.badRequest, why, visit: visit, next: Self.back(request))
        } catch AgentError.forbidden(let why) {
            return PortalPage.problem(.forbidden, why, visit: visit, next: Self.back(request))
        } catch {
            context.logger.error("portal page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return PortalPage.problem(
                .internalServerError, "The server could not do this (an internal error; its log has the details).",
                visit: visit, next: Self.back(request))
        }
    }

    /// A state-changing request: a page whose form must pass the CSRF check first.
    func action(
        _ request: Request, _ context: TernRequestContext, _ body: (PortalVisit, PortalForm) async throws -> Response
    ) async throws -> Response {
        try await page(request, context) { visit in
            let form = try await PortalForm.read(request)
            if let refusal = csrfRefusal(request, context, visit: visit, form: form) {
                context.logger.warning("portal request refused by the CSRF check", metadata: ["reason": "\(refusal)"])
                throw PortalFailure(.forbidden, refusal)
            }
            return try await body(visit, form)
        }
    }

    /// Why a state-changing request fails the CSRF check (``PortalCSRF``), or `nil`.
    func csrfRefusal(_ request: Request, _ context: TernRequestContext, visit: PortalVisit, form: PortalForm) -> String? {
        let scheme = connections.isHTTPS(request, context: context) ? "https" : "http"
        return portal.csrf.refusal(
            PortalCSRF.Request(
                sessionID: visit.session.id,
                token: request.headers[HTTPField.Name(PortalCSRF.header)!] ?? form.fields[PortalCSRF.field],
                origin: request.headers[HTTPField.Name("Origin")!],
                fetchSite: request.headers[HTTPField.Name("Sec-Fetch-Site")!],
                expectedOrigin: "\(scheme)://\(request.head.authority ?? "")"))
    }

    /// The page a problem links back to: the page itself, or for a form the page it was on
    /// (`/admin/contexts/{id}` for `/admin/contexts/{id}/members/{user}/role`).
    static func back(_ request: Request) -> PortalLink {
        let segments = request.uri.path.split(separator: "/")
        guard request.method == .post, segments.count > 1 else { return PortalLink(label: "Back", href: request.uri.path) }
        let keep = ["account", "approvals"].contains(segments[1]) ? 2 : 3
        return PortalLink(label: "Back", href: "/" + segments.prefix(keep).joined(separator: "/"))
    }

    /// Writes one audit entry for a change made through the portal; a failed write is logged,
    /// not shown (the change is made).
    func audit(
        _ visit: PortalVisit, _ request: Request, _ context: TernRequestContext, action: String, object: (String, String),
        in contextID: ContextID? = nil, before: JSONValue? = nil, after: JSONValue? = nil
    ) async {
        let entry = AuditEntry(
            at: clock.now(),
            actor: AuditActor(
                actor: visit.user.id.rawValue, via: .portal, from: connections.clientAddress(of: request, context: context)),
            action: action, objectType: object.0, objectID: object.1, contextID: contextID, before: before, after: after)
        do {
            try await auditLog.record(entry)
        } catch {
            context.logger.error("could not write an audit entry", metadata: ["action": "\(action)", "error": "\(error)"])
        }
    }
}
