import TernCore

/// The admin API's contexts, members, users and keys, as ``AdminController`` treats them. Who may
/// call what is ``AdminScope``'s: admins reach everything; a context-limited key of an admin or
/// of the context's owner reaches its own context only (403 elsewhere).
extension OpenAPIDocument {
    static let adminPrefix = "/admin/api/v1"

    static var adminPaths: [String: [String: JSONValue]] {
        let contextID = OAS.pathParameter("id", "The context's id.", example: ContextID.defaultContext.rawValue)
        let newContext = ["id": "$response.body#/id"]
        return [
            "\(adminPrefix)/contexts": [
                "get": OAS.operation(
                    "listContexts", "Contexts with their counts", tag: "admin",
                    responses: ok(list(of: OAS.ref("ContextSummary")), OAS.authErrors)),
                "post": OAS.operation(
                    "createContext", "Create a context", tag: "admin",
                    body: OAS.object(
                        [
                            "name": contextName,
                            "kind": OAS.nullable(OAS.oneOf(ContextKind.self, "`shared` when absent.")),
                            "owner_id": OAS.nullable(OAS.string("An existing user; the caller when absent.")),
                        ], required: ["name"]),
                    responses: linked(
                        created(OAS.ref("Context"), OAS.bodyErrors, 409),
                        [
                            "renameContext": newContext, "deleteContext": newContext, "listMembers": newContext,
                            "addMember": newContext, "listTools": newContext, "listMCPServers": newContext,
                            "addMCPServer": newContext,
                        ])),
            ],
            "\(adminPrefix)/contexts/{id}": [
                "patch": OAS.operation(
                    "renameContext", "Rename a context", tag: "admin", parameters: [contextID],
                    body: OAS.object(["name": contextName], required: ["name"]),
                    responses: ok(OAS.ref("Context"), OAS.bodyErrors, 409)),
                "delete": OAS.operation(
                    "deleteContext", "Delete a context and everything in it", tag: "admin",
                    description: "The default context cannot be deleted (409).", parameters: [contextID],
                    responses: ["204": OAS.noContent].merging(OAS.authErrors.merging(OAS.errors(409)) { $1 }) { $1 }),
            ],
            "\(adminPrefix)/contexts/{id}/members": [
                "get": OAS.operation(
                    "listMembers", "A context's members", tag: "admin", parameters: [contextID],
                    responses: ok(list(of: OAS.ref("Membership")), OAS.authErrors)),
                "post": OAS.operation(
                    "addMember", "Add a member, or change a member's role", tag: "admin", parameters: [contextID],
                    body: OAS.object(
                        [
                            "user_id": OAS.string("An existing user."),
                            "role": OAS.nullable(OAS.oneOf(MemberRole.self, "`member` when absent.")),
                        ], required: ["user_id"]),
                    responses: linked(
                        created(OAS.ref("Membership"), OAS.bodyErrors),
                        ["removeMember": ["id": "$request.path.id", "user": "$response.body#/user_id"]])),
            ],
            "\(adminPrefix)/contexts/{id}/members/{user}": [
                "delete": OAS.operation(
                    "removeMember", "Remove a member", tag: "admin",
                    parameters: [contextID, OAS.pathParameter("user", "The member's user id.")],
                    responses: ["204": OAS.noContent].merging(OAS.authErrors) { $1 })
            ],
            "\(adminPrefix)/users": [
                "get": OAS.operation(
                    "listUsers", "Users (for a context-limited key: the members of its context)", tag: "admin",
                    responses: ok(list(of: OAS.ref("User")), OAS.authErrors)),
                "post": OAS.operation(
                    "createUser", "Create a user with a personal context", tag: "admin",
                    body: OAS.object(
                        [
                            "email": OAS.string("Unique; stored trimmed and lower-cased.", maxLength: 254, pattern: "@"),
                            "role": OAS.nullable(OAS.oneOf(UserRole.self, "`user` when absent.")),
                            "display_name": OAS.nullable(OAS.string("The email when absent.")),
                        ], required: ["email"]),
                    responses: linked(
                        created(
                            OAS.object(
                                ["user": OAS.ref("User"), "context": OAS.ref("Context")], required: ["user", "context"]),
                            OAS.bodyErrors, 409),
                        ["updateUser": ["id": "$response.body#/user/id"]])),
            ],
            "\(adminPrefix)/users/{id}": [
                "patch": OAS.operation(
                    "updateUser", "Change a user's role or default context", tag: "admin",
                    description: "The last admin cannot be demoted (409).",
                    parameters: [OAS.pathParameter("id", "The user's id.")],
                    body: userChange,
                    responses: ok(OAS.ref("User"), OAS.bodyErrors, 409)),
                "delete": OAS.operation(
                    "deleteUser", "Delete a user with their memberships, keys and lone personal contexts", tag: "admin",
                    description: "The last admin cannot be deleted (409); the built-in local user never (400).",
                    parameters: [OAS.pathParameter("id", "The user's id.")],
                    responses: ["204": OAS.noContent].merging(OAS.authErrors.merging(OAS.errors(400, 409)) { $1 }) { $1 }),
            ],
            "\(adminPrefix)/keys": [
                "get": OAS.operation(
                    "listKeys", "API keys (never their secrets)", tag: "admin",
                    parameters: [
                        [
                            "name": "user_id", "in": "query", "required": false,
                            "description": "Only this user's keys (404 for an unknown user).", "schema": OAS.string(),
                        ]
                    ],
                    responses: ok(list(of: OAS.ref("APIKey")), OAS.authErrors)),
                "post": OAS.operation(
                    "createKey", "Create an API key; its secret is shown once", tag: "admin",
                    body: OAS.object(
                        [
                            "name": OAS.string("1 to 100 characters, trimmed.", minLength: 1, maxLength: 100, pattern: "\\S"),
                            "user_id": OAS.nullable(OAS.string("An existing user; the caller when absent.")),
                            "context_id": OAS.nullable(
                                OAS.string("Limits the key to this context (its user must be a member).")),
                        ], required: ["name"]),
                    responses: linked(
                        created(
                            ["allOf": [OAS.ref("APIKey"), OAS.object(["secret": OAS.string()], required: ["secret"])]],
                            OAS.bodyErrors),
                        ["revokeKey": ["id": "$response.body#/id"]])),
            ],
            "\(adminPrefix)/keys/{id}": [
                "delete": OAS.operation(
                    "revokeKey", "Revoke an API key", tag: "admin", parameters: [OAS.pathParameter("id", "The key's id.")],
                    responses: ok(OAS.ref("APIKey"), OAS.authErrors))
            ],
        ]
    }

    /// `200` with `schema`, plus `errors` and the shared answers for `more` statuses.
    static func ok(_ schema: JSONValue, _ errors: [String: JSONValue], _ more: Int...) -> [String: JSONValue] {
        answers("200", "Done.", schema, errors, more)
    }

    /// `201` with `schema`, plus `errors` and the shared answers for `more` statuses.
    static func created(_ schema: JSONValue, _ errors: [String: JSONValue], _ more: Int...) -> [String: JSONValue] {
        answers("201", "Created.", schema, errors, more)
    }

    /// `responses` with links from its `201` answer, by operation id, with their parameters.
    static func linked(_ responses: [String: JSONValue], _ links: [String: [String: String]]) -> [String: JSONValue] {
        var responses = responses
        if let created = responses["201"] {
            responses["201"] = OAS.linking(
                created, Dictionary(uniqueKeysWithValues: links.map { ($0.key, OAS.link($0.key, $0.value)) }))
        }
        return responses
    }

    private static func answers(
        _ status: String, _ description: String, _ schema: JSONValue, _ errors: [String: JSONValue], _ more: [Int]
    ) -> [String: JSONValue] {
        var responses = errors
        for code in more { responses.merge(OAS.errors(code)) { $1 } }
        responses[status] = OAS.json(description, schema)
        return responses
    }

    /// `PATCH users/{id}`: at least one of the two, not null.
    private static var userChange: JSONValue {
        var schema =
            OAS.object(
                [
                    "role": OAS.nullable(OAS.oneOf(UserRole.self)),
                    "default_context": OAS.nullable(OAS.string("The id or name of a context the user is a member of.")),
                ]
            ).objectValue ?? [:]
        schema["anyOf"] = [["required": ["role"]], ["required": ["default_context"]]]
        schema["description"] = "At least one of `role` and `default_context`, not null."
        return .object(schema)
    }

    private static let contextName = OAS.string(
        "Lower-case letters, digits, `-`, `_` and `.`; not starting with `.` or `-`.", minLength: 1, maxLength: 64,
        pattern: "^[a-z0-9_][a-z0-9._-]*$")

    static var adminSchemas: [String: JSONValue] {
        let time = OAS.string(format: "date-time")
        let context: [String: JSONValue] = [
            "id": OAS.string(), "name": OAS.string(), "kind": OAS.oneOf(ContextKind.self), "created_at": time,
        ]
        let contextRequired = ["id", "name", "kind", "created_at"]
        return [
            "Context": OAS.object(context, required: contextRequired),
            "ContextSummary": OAS.object(
                context.merging(
                    ["member_count": OAS.integer(), "conversation_count": OAS.integer(), "message_count": OAS.integer()]
                ) { $1 },
                required: contextRequired + ["member_count", "conversation_count", "message_count"]),
            "Membership": OAS.object(
                [
                    "user_id": OAS.string(), "context_id": OAS.string(), "context_name": OAS.string(),
                    "role": OAS.oneOf(MemberRole.self), "is_default": OAS.boolean(),
                ], required: ["user_id", "context_id", "context_name", "role", "is_default"]),
            "User": OAS.object(
                [
                    "id": OAS.string(), "email": OAS.nullable(OAS.string("`null` only for the built-in local user.")),
                    "display_name": OAS.string(), "role": OAS.oneOf(UserRole.self), "created_at": time,
                    "last_seen_at": OAS.nullable(time),
                ], required: ["id", "email", "display_name", "role", "created_at", "last_seen_at"]),
            "APIKey": OAS.object(
                [
                    "id": OAS.string(), "user_id": OAS.string(),
                    "context_id": OAS.nullable(OAS.string("The one context the key is limited to.")),
                    "name": OAS.string(), "prefix": OAS.string("The first characters of the secret, to recognise it."),
                    "created_at": time, "last_used_at": OAS.nullable(time), "revoked_at": OAS.nullable(time),
                ],
                required: ["id", "user_id", "context_id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]),
        ]
    }
}
