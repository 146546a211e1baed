package import TernCore

/// Tern's HTTP API as an OpenAPI 3.1 document, served at `GET /openapi.json`.
///
/// Built in Swift, not kept as a file beside the binary: the enums come from the types the
/// handlers parse (`MemberRole.allCases`, …), and the binary stays one file. `OpenAPIDocumentTests`
/// fails when a route of ``buildRouter(_:)`` is missing here or one listed here does not exist;
/// `scripts/test-schemathesis` checks the answers of a real server against it.
package enum OpenAPIDocument {
    /// The OpenAPI version the document follows.
    package static let openAPIVersion = "3.1.0"

    /// The whole document.
    package static let document: JSONValue = build()

    /// The document as served: compact JSON, sorted keys.
    package static let jsonText: String = document.jsonText

    /// Every path with its operations, by lower-case HTTP method.
    static var paths: [String: [String: JSONValue]] {
        var paths: [String: [String: JSONValue]] = [:]
        for section in [
            healthPaths, openAIPaths, agentPaths, adminPaths, adminToolPaths, adminCredentialPaths, adminAuditPaths, adminMemoryPaths,
        ] {
            paths.merge(section) { $0.merging($1) { first, _ in first } }
        }
        return paths
    }

    private static func build() -> JSONValue {
        [
            "openapi": .string(openAPIVersion),
            "info": [
                "title": "Tern", "version": "1",
                "description": .string(description),
                "license": ["name": "See the project's repository"],
            ],
            "security": [["bearerAuth": []]],
            "tags": [
                ["name": "health", "description": "Probes for load balancers and orchestrators; no key needed."],
                ["name": "openai", "description": "The OpenAI-compatible chat API (Open WebUI, the openai SDKs, curl)."],
                ["name": "agent", "description": "The agent API: a turn with its plan, steps and usage."],
                ["name": "approvals", "description": "Human approval of risky tool calls."],
                ["name": "admin", "description": "Contexts, members, users, API keys, tool permissions, MCP servers."],
            ],
            "paths": .object(paths.mapValues { JSONValue.object($0) }),
            "components": [
                "securitySchemes": ["bearerAuth": bearerScheme],
                "parameters": ["TernContext": contextHeader],
                "responses": .object(errorResponses),
                "schemas": .object(schemas),
            ],
        ]
    }

    private static let description = """
        Tern's HTTP API. Every error, whatever the status, is `{"error": {"message", "type", "param", "code"}}` \
        as OpenAI sends it (schema `Error`). A known path called with a method it does not take answers 405 with \
        an `Allow` header; an unknown path answers 404. Streams (`text/event-stream`) that fail after their \
        first byte end with an error frame in the same shape.
        """

    private static let bearerScheme: JSONValue = [
        "type": "http", "scheme": "bearer",
        "description": """
        An API key: one of `TERN_API_KEYS` (the local admin user), a key made with `tern keys create` or \
        `POST /admin/api/v1/keys`, or a trusted proxy key (`TERN_PROXY_API_KEYS`), with which Open WebUI's \
        forwarded-user headers (`X-OpenWebUI-User-Email`/`-Name`/`-Role`, or `X-OpenWebUI-User-Jwt`, and \
        `X-OpenWebUI-Chat-Id`) name the user. A server without any key configured accepts keyless requests \
        from loopback only, until the first admin key exists.
        """,
    ]

    private static let contextHeader: JSONValue = OAS.header(
        "X-Tern-Context",
        "The name of the context (tenant) to act in; the caller's default context when absent. 404 "
            + "`context_not_found` when no such context exists, 403 when the caller is not a member of it.",
        schema: OAS.string())

    private static var errorResponses: [String: JSONValue] {
        var responses: [String: JSONValue] = [:]
        for (_, response) in OAS.errorResponses {
            responses[response.name] = OAS.json(response.description, OAS.ref("Error"))
        }
        return responses
    }

    private static var schemas: [String: JSONValue] {
        var schemas: [String: JSONValue] = ["Error": errorSchema]
        for section in [
            openAISchemas, agentSchemas, adminSchemas, adminToolSchemas, adminCredentialSchemas, adminAuditSchemas, adminMemorySchemas,
        ] {
            schemas.merge(section) { first, _ in first }
        }
        return schemas
    }

    private static let errorSchema = OAS.object(
        [
            "error": OAS.object(
                [
                    "message": OAS.string("What went wrong, for people."),
                    "type": OAS.string(
                        "`invalid_request_error`, `authentication_error`, `permission_error`, `server_error` or "
                            + "`upstream_error`."),
                    "param": OAS.nullable(OAS.string("The offending field or header, if one is to blame.")),
                    "code": OAS.nullable(OAS.string("A stable machine-readable reason, e.g. `missing_api_key`.")),
                ], required: ["message", "type", "param", "code"], additional: false)
        ], required: ["error"], additional: false, "An error, in OpenAI's shape.")

    /// `GET /healthz`, `GET /readyz` and this document.
    private static var healthPaths: [String: [String: JSONValue]] {
        [
            "/healthz": [
                "get": OAS.operation(
                    "healthz", "Liveness: the process answers", tag: "health",
                    responses: ["200": OAS.json("Alive.", OAS.object(["status": OAS.oneOf(["ok"])], required: ["status"]))],
                    secured: false)
            ],
            "/readyz": [
                "get": OAS.operation(
                    "readyz", "Readiness: the store answers", tag: "health",
                    description: "The model server's state (from a background check) is reported, never waited for.",
                    responses: [
                        "200": OAS.json("Ready.", readiness(status: "ready", store: "ok")),
                        "503": OAS.json("The store does not answer.", readiness(status: "not_ready", store: "error")),
                    ], secured: false)
            ],
            "/openapi.json": [
                "get": OAS.operation(
                    "openapi", "This document", tag: "health",
                    responses: [
                        "200": OAS.json(
                            "The OpenAPI 3.1 document of this API.",
                            OAS.object(
                                ["openapi": OAS.string(), "info": OAS.object([:]), "paths": OAS.object([:])],
                                required: ["openapi", "info", "paths"]))
                    ], secured: false)
            ],
        ]
    }

    private static func readiness(status: String, store: String) -> JSONValue {
        OAS.object(
            [
                "status": OAS.oneOf([status]), "store": OAS.oneOf([store]),
                "llm": OAS.oneOf(
                    ["unknown", "not_configured", "reachable", "unreachable"], "The model server's last known state."),
                "leader": OAS.oneOf(
                    ["idle", "waiting", "leading", "lost", "error"],
                    "This replica's part in the leader election of the leader-only jobs (Telegram, retention); "
                        + "absent when none is configured."),
            ], required: ["status", "store", "llm"])
    }
}
