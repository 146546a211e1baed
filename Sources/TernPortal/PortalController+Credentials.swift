import Foundation
import Hummingbird
import TernCore
import TernHTTP

/// The Credentials page: a context's named secrets, for admins and the context's owners
/// (``PortalAccess/Action/manageCredentials``). Values go in through a password field and
/// never come out: no page, problem page, log line or audit entry holds one (the vault's own
/// messages name the credential, never its value).
extension PortalController {
    /// `GET/POST /admin/credentials…`.
    func addCredentialRoutes(to router: Router<TernRequestContext>) {
        router.get("admin/credentials", use: credentialList)
        router.get("admin/credentials/:ctx", use: credentialList)
        router.post("admin/credentials", use: storeCredential)
        router.post("admin/credentials/:ctx/:name/delete", use: deleteCredential)
    }

    /// `GET /admin/credentials?context=&q=&cursor=` (or `/admin/credentials/{ctx}`): the names
    /// of the credentials of the contexts the visitor manages credentials in, a keyset page of
    /// contexts at a time.
    @Sendable func credentialList(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            let found = try await contextPage(request, context, visit, .manageCredentials) { try await credentials.list(in: $0) }
            let model = CredentialsModel(
                found,
                managesAny: visit.isAdmin || visit.memberships.contains { visit.refusal(.manageCredentials, in: $0.contextID) == nil })
            return PortalPage.render("credentials", title: "Credentials", model: model, visit: visit, section: "Credentials")
        }
    }

    /// `POST /admin/credentials` (context, name, value; idempotent): stores the value sealed,
    /// replacing the value of a credential of that name. Audited as `credential.store`, by name.
    @Sendable func storeCredential(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, form in
            let found = try await formContext(form, visit, .manageCredentials)
            let name = try form.require("name", label: "The credential's name")
            // The value exactly as typed (spaces included): a secret's bytes matter. The vault
            // refuses an empty one with a message that names the credential only.
            let value = form.fields["value"] ?? ""
            return try await once(visit, form) {
                let (_, created) = try await credentials.set(value, named: name, in: found.id, by: visit.user.id)
                await audit(
                    visit, request, context, action: "credential.store", object: ("credential", name), in: found.id,
                    after: ["created": .bool(created)])
                return Created(location: "/admin/credentials/\(Self.segment(found.id.rawValue))")
            }
        }
    }

    /// `POST /admin/credentials/{ctx}/{name}/delete`. Audited as `credential.delete`.
    @Sendable func deleteCredential(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, _ in
            let id = ContextID(try context.parameters.require("ctx"))
            try visit.require(.manageCredentials, in: id)
            let name = try context.parameters.require("name")
            try await credentials.delete(named: name, in: id)
            await audit(visit, request, context, action: "credential.delete", object: ("credential", name), in: id)
            return PortalPage.redirect(to: "/admin/credentials/\(Self.segment(id.rawValue))")
        }
    }
}
