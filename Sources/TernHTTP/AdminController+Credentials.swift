import Foundation
import Hummingbird
import TernAgent
import TernCore

/// `contexts/{id}/credentials…`: a context's named secrets, for admins and the context's owners
/// (``AdminScope/Use/manage``). Values go in with `PUT` and never come out: answers, errors and
/// logs show names and times only.
extension AdminController {
    func addCredentialRoutes(to group: RouterGroup<TernRequestContext>) {
        group.get("contexts/:id/credentials", use: listCredentials)
        group.put("contexts/:id/credentials/:name", use: putCredential)
        group.delete("contexts/:id/credentials/:name", use: deleteCredential)
    }

    /// `GET contexts/{id}/credentials`: names, key ids and times, by name.
    @Sendable func listCredentials(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (vault, id) = try await credentialScope(context)
        return try json(.ok, ["data": .array(try await vault.list(in: id).map(CredentialJSON.credential))])
    }

    /// `PUT contexts/{id}/credentials/{name}` with `{"value": "…"}`: 201 when created, 200 when
    /// its value was replaced; the answer never holds the value.
    @Sendable func putCredential(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (vault, id) = try await credentialScope(context)
        let name = try context.parameters.require("name")
        if let problem = CredentialName.problem(with: name) { throw APIError.invalid(problem, param: "name") }
        let body = try await JSONBody.read(request, context: context)
        try body.rejectUnknownKeys(allowed: ["value"])
        let value = try body.string("value")
        let (credential, created) = try await vault.set(value, named: name, in: id, by: try context.requireIdentity().user.id)
        return try json(created ? .created : .ok, CredentialJSON.credential(credential))
    }

    /// `DELETE contexts/{id}/credentials/{name}`: 204, or 404 when there is none of that name.
    @Sendable func deleteCredential(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (vault, id) = try await credentialScope(context)
        try await vault.delete(named: try context.parameters.require("name"), in: id)
        return Response(status: .noContent)
    }

    /// The context (403 outside the caller's scope, 404 when unknown) and the vault.
    private func credentialScope(_ context: TernRequestContext) async throws -> (CredentialVault, ContextID) {
        (credentials, try await existingContext(context, for: .manage))
    }
}

/// How credentials look in the admin API: never with a value.
enum CredentialJSON {
    static func credential(_ credential: Credential) -> JSONValue {
        .object([
            "name": .string(credential.name), "context_id": .string(credential.contextID.rawValue),
            "key_id": .string(credential.keyID), "created_at": AdminJSON.time(credential.createdAt),
            "updated_at": AdminJSON.time(credential.updatedAt),
            "created_by": credential.createdBy.map { .string($0.rawValue) } ?? .null,
        ])
    }
}
