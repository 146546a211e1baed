import TernCore

/// The admin API's credentials, as ``AdminController`` (`+Credentials`) treats them: admins and
/// the context's owners; values go in with `PUT` and are never returned.
extension OpenAPIDocument {
    static var adminCredentialPaths: [String: [String: JSONValue]] {
        let contextID = OAS.pathParameter("id", "The context's id.", example: ContextID.defaultContext.rawValue)
        let name = OAS.pathParameter("name", "The credential's name (what `${cred:NAME}` references).")
        let errors = OAS.authErrors
        let bodyErrors = OAS.bodyErrors
        return [
            "\(adminPrefix)/contexts/{id}/credentials": [
                "get": OAS.operation(
                    "listCredentials", "The context's credentials, names and times only", tag: "admin",
                    parameters: [contextID], responses: ok(list(of: OAS.ref("Credential")), errors))
            ],
            "\(adminPrefix)/contexts/{id}/credentials/{name}": [
                "put": OAS.operation(
                    "putCredential", "Set a credential's value (created, or replaced)", tag: "admin",
                    description: """
                        The value is sealed (AES-256-GCM) and never returned, logged or audited. \
                        MCP server env and header values reference it as `${cred:NAME}`.
                        """,
                    parameters: [contextID, name],
                    body: OAS.object(
                        ["value": OAS.string("The secret; 1 byte to 64 KiB.", minLength: 1)], required: ["value"],
                        additional: false),
                    responses: ok(OAS.ref("Credential"), bodyErrors).merging(created(OAS.ref("Credential"), [:])) { $1 }),
                "delete": OAS.operation(
                    "deleteCredential", "Delete a credential", tag: "admin", parameters: [contextID, name],
                    responses: ["204": OAS.noContent].merging(errors) { $1 }),
            ],
        ]
    }

    static var adminCredentialSchemas: [String: JSONValue] {
        [
            "Credential": OAS.object(
                [
                    "name": OAS.string(), "context_id": OAS.string(),
                    "key_id": OAS.string("The key the value is sealed under (see `tern secrets rotate`)."),
                    "created_at": OAS.string(format: "date-time"), "updated_at": OAS.string(format: "date-time"),
                    "created_by": OAS.nullable(OAS.string("The user who created it; `null` once that user is deleted.")),
                ], required: ["name", "context_id", "key_id", "created_at", "updated_at", "created_by"])
        ]
    }
}
