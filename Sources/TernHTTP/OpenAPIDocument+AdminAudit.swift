import TernCore

/// The admin API's audit log, as ``AdminController`` (`+Audit`) serves it.
extension OpenAPIDocument {
    static var adminAuditPaths: [String: [String: JSONValue]] {
        func query(_ name: String, _ description: String, _ schema: JSONValue = OAS.string()) -> JSONValue {
            ["name": .string(name), "in": "query", "required": false, "description": .string(description), "schema": schema]
        }
        return [
            "\(adminPrefix)/audit": [
                "get": OAS.operation(
                    "listAudit", "Changes made through the admin API and the CLI, newest first", tag: "admin",
                    description: """
                        Keyset pages: pass `next_cursor` back as `cursor`. Admins see every entry; a context owner \
                        the entries of the contexts they own. Secret values are masked as `***`.
                        """,
                    parameters: [
                        query("actor", "A user id, or `cli`."),
                        query("object", "An object type (`credential`) or `type:id` (`credential:GITHUB_TOKEN`)."),
                        query("since", "Entries at or after this time.", OAS.string(format: "date-time")),
                        query("until", "Entries before this time.", OAS.string(format: "date-time")),
                        query("cursor", "Where the previous page ended (its `next_cursor`)."),
                        query("limit", "Entries per page.", OAS.integer(minimum: 1, maximum: 500)),
                    ],
                    responses: ok(
                        OAS.object(
                            ["data": OAS.array(OAS.ref("AuditEntry")), "next_cursor": OAS.nullable(OAS.string())],
                            required: ["data", "next_cursor"]),
                        OAS.bodyErrors))
            ]
        ]
    }

    static var adminAuditSchemas: [String: JSONValue] {
        let text = OAS.string()
        return [
            "AuditEntry": OAS.object(
                [
                    "id": text, "at": OAS.string(format: "date-time"), "actor": text, "via": OAS.oneOf(AuditChannel.self),
                    "from": OAS.nullable(text), "action": text, "object_type": text, "object_id": text,
                    "context_id": OAS.nullable(text), "before": OAS.nullable(OAS.object([:], additional: true)),
                    "after": OAS.nullable(OAS.object([:], additional: true)),
                ],
                required: [
                    "id", "at", "actor", "via", "from", "action", "object_type", "object_id", "context_id", "before", "after",
                ])
        ]
    }
}
