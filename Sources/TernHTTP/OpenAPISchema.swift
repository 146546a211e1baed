import TernCore

/// Small builders for the parts of ``OpenAPIDocument``: JSON Schema 2020-12 values (what
/// OpenAPI 3.1 uses), operations, parameters and the shared error answers. They keep each
/// route's description short enough to read next to its handler.
enum OAS {
    // MARK: Schemas

    static func ref(_ schema: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(schema)")]
    }

    static func string(
        _ description: String? = nil, minLength: Int? = nil, maxLength: Int? = nil, pattern: String? = nil,
        format: String? = nil
    ) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "string"]
        schema["description"] = description.map(JSONValue.string)
        schema["minLength"] = minLength.map { .number(Double($0)) }
        schema["maxLength"] = maxLength.map { .number(Double($0)) }
        schema["pattern"] = pattern.map(JSONValue.string)
        schema["format"] = format.map(JSONValue.string)
        return .object(schema)
    }

    /// A string that is one of `values`.
    static func oneOf(_ values: [String], _ description: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "string", "enum": .array(values.map(JSONValue.string))]
        schema["description"] = description.map(JSONValue.string)
        return .object(schema)
    }

    /// A string that is one of the raw values of `type`, straight from the type the handler parses.
    static func oneOf<T: RawRepresentable & CaseIterable>(_ type: T.Type, _ description: String? = nil) -> JSONValue
    where T.RawValue == String {
        oneOf(type.allCases.map(\.rawValue), description)
    }

    static func integer(_ description: String? = nil, minimum: Double? = nil, maximum: Double? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "integer"]
        schema["description"] = description.map(JSONValue.string)
        schema["minimum"] = minimum.map(JSONValue.number)
        schema["maximum"] = maximum.map(JSONValue.number)
        return .object(schema)
    }

    static func number(_ description: String? = nil, minimum: Double? = nil, maximum: Double? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "number"]
        schema["description"] = description.map(JSONValue.string)
        schema["minimum"] = minimum.map(JSONValue.number)
        schema["maximum"] = maximum.map(JSONValue.number)
        return .object(schema)
    }

    static func boolean(_ description: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "boolean"]
        schema["description"] = description.map(JSONValue.string)
        return .object(schema)
    }

    static func array(_ items: JSONValue, minItems: Int? = nil, maxItems: Int? = nil, _ description: String? = nil)
        -> JSONValue
    {
        var schema: [String: JSONValue] = ["type": "array", "items": items]
        schema["minItems"] = minItems.map { .number(Double($0)) }
        schema["maxItems"] = maxItems.map { .number(Double($0)) }
        schema["description"] = description.map(JSONValue.string)
        return .object(schema)
    }

    /// An object. `additional` says what the handler does with other keys: `true` (ignored, the
    /// default), `false` (refused with 400 `unknown_parameter`), or a schema.
    static func object(
        _ properties: [String: JSONValue], required: [String] = [], additional: JSONValue = true,
        _ description: String? = nil
    ) -> JSONValue {
        var schema: [String: JSONValue] = [
            "type": "object", "properties": .object(properties), "additionalProperties": additional,
        ]
        if !required.isEmpty { schema["required"] = .array(required.sorted().map(JSONValue.string)) }
        schema["description"] = description.map(JSONValue.string)
        return .object(schema)
    }

    /// `schema` or JSON `null` (the handlers read a `null` field as an absent one).
    static func nullable(_ schema: JSONValue) -> JSONValue {
        guard var object = schema.objectValue, case .string(let type)? = object["type"] else {
            return ["anyOf": [schema, ["type": "null"]]]
        }
        object["type"] = [.string(type), "null"]
        if case .array(let values)? = object["enum"] { object["enum"] = .array(values + [.null]) }
        return .object(object)
    }

    // MARK: Operations

    /// One operation. `secured: false` marks a route open to everyone.
    static func operation(
        _ id: String, _ summary: String, tag: String, description: String? = nil, parameters: [JSONValue] = [],
        body: JSONValue? = nil, responses: [String: JSONValue], secured: Bool = true
    ) -> JSONValue {
        var operation: [String: JSONValue] = [
            "operationId": .string(id), "summary": .string(summary), "tags": [.string(tag)],
            "responses": .object(responses),
        ]
        operation["description"] = description.map(JSONValue.string)
        let allParameters = secured ? parameters + [["$ref": "#/components/parameters/TernContext"]] : parameters
        if !allParameters.isEmpty { operation["parameters"] = .array(allParameters) }
        if let body {
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": body]]]
        }
        if !secured { operation["security"] = [] }
        return .object(operation)
    }

    /// A path parameter; `example` (e.g. the default context's id) lets a generated request reach a
    /// real resource.
    static func pathParameter(_ name: String, _ description: String, example: String? = nil) -> JSONValue {
        var parameter: [String: JSONValue] = [
            "name": .string(name), "in": "path", "required": true, "description": .string(description),
            "schema": ["type": "string", "minLength": 1],
        ]
        parameter["example"] = example.map(JSONValue.string)
        return .object(parameter)
    }

    /// A `links` entry: `operation` called with `parameters` (runtime expressions such as
    /// `$response.body#/id`) after this answer.
    static func link(_ operation: String, _ parameters: [String: String]) -> JSONValue {
        ["operationId": .string(operation), "parameters": .object(parameters.mapValues(JSONValue.string))]
    }

    /// `response` with `links` to the operations that use what it created.
    static func linking(_ response: JSONValue, _ links: [String: JSONValue]) -> JSONValue {
        var object = response.objectValue ?? [:]
        object["links"] = .object(links)
        return .object(object)
    }

    static func header(_ name: String, _ description: String, schema: JSONValue) -> JSONValue {
        ["name": .string(name), "in": "header", "required": false, "description": .string(description), "schema": schema]
    }

    /// A `200`/`201` answer with a JSON body.
    static func json(_ description: String, _ schema: JSONValue) -> JSONValue {
        ["description": .string(description), "content": ["application/json": ["schema": schema]]]
    }

    static let noContent: JSONValue = ["description": "Done; no body."]

    /// The shared error answers (`components.responses`), by status code.
    static func errors(_ codes: Int...) -> [String: JSONValue] {
        var responses: [String: JSONValue] = [:]
        for code in codes {
            guard let name = errorResponses[code]?.name else { preconditionFailure("no shared error answer for \(code)") }
            responses[String(code)] = ["$ref": .string("#/components/responses/\(name)")]
        }
        return responses
    }

    /// The answers of an authenticated route that takes a JSON body, besides its own.
    static let bodyErrors = errors(400, 401, 403, 404, 413, 429)
    /// The answers of an authenticated route without a body, besides its own (429: the rate
    /// limits, and failed authentications from one address).
    static let authErrors = errors(401, 403, 404, 429)

    /// Every status an error answer can have, with its name in `components.responses` and what it means here.
    static let errorResponses: [Int: (name: String, description: String)] = [
        400: ("BadRequest", "The request is malformed; `param` names the offending field or header."),
        401: (
            "Unauthorized",
            "No API key, an unknown or revoked one, or an `Authorization` header that is not `Bearer <key>`."
        ),
        403: (
            "Forbidden",
            "The caller may not do this: not an admin, a context-limited key outside its context, or a role in "
                + "the context that does not allow it."
        ),
        404: (
            "NotFound",
            "Something named does not exist: the path's resource, a field's reference, or the context named by "
                + "`X-Tern-Context` (`context_not_found`)."
        ),
        409: ("Conflict", "The change conflicts with what is stored (a taken name, an already decided approval, …)."),
        413: ("ContentTooLarge", "The body is larger than this endpoint accepts (`request_too_large`); the message names the cap."),
        429: (
            "TooManyRequests",
            "A rate limit of Tern's (`rate_limit_exceeded`, with `Retry-After`) or the model server's refused for now."
        ),
        502: ("BadGateway", "An upstream (the model server, an MCP server) failed or answered something unusable."),
        503: ("ServiceUnavailable", "The feature is not configured on this server (`llm_not_configured`, …)."),
        504: ("GatewayTimeout", "The model server did not answer in time (`upstream_timeout`)."),
    ]
}
