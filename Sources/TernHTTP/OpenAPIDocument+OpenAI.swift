import TernAgent
import TernCore

/// `GET /v1/models` and `POST /v1/chat/completions`, as ``OpenAIController`` and
/// ``ChatCompletionRequest/parse(_:)`` treat them.
extension OpenAPIDocument {
    static var openAIPaths: [String: [String: JSONValue]] {
        [
            "/v1/models": [
                "get": OAS.operation(
                    "listModels", "The models Tern serves", tag: "openai",
                    description: "`tern` (the caller's default context) and `tern/<name>` for each shared context "
                        + "the caller belongs to.",
                    responses: ["200": OAS.json("The models.", OAS.ref("ModelList"))].merging(OAS.authErrors) { $1 })
            ],
            "/v1/chat/completions": [
                "post": OAS.operation(
                    "createChatCompletion", "A chat turn with the agent", tag: "openai",
                    description: """
                        The last message is the new input (a `user` message, or `tool` results continuing after \
                        the client's tool calls); earlier messages are the thread as the client knows it. The \
                        conversation is the one named by `X-Tern-Conversation-Id`, or derived from the thread. \
                        With `"stream": true` the answer is `chat.completion.chunk` SSE frames ending in \
                        `data: [DONE]`, with `: keep-alive` comments while the model is silent.
                        """,
                    parameters: [
                        OAS.header(
                            "X-Tern-Conversation-Id", "Names the conversation (1 to 256 visible ASCII characters).",
                            schema: OAS.string(minLength: 1, maxLength: 256, pattern: "^[!-~]+$")),
                        OAS.header(
                            "X-Tern-Verbosity", "How much of the agent's progress shows in `content` (case-insensitive).",
                            schema: OAS.oneOf(Verbosity.self)),
                    ],
                    body: OAS.ref("ChatCompletionRequest"),
                    responses: [
                        "200": [
                            "description": "The answer: JSON, or SSE frames with `\"stream\": true`.",
                            "content": [
                                "application/json": ["schema": OAS.ref("ChatCompletion")],
                                "text/event-stream": [
                                    "schema": OAS.string(
                                        "`data: {chat.completion.chunk}` frames, `data: [DONE]` at the end; a failure "
                                            + "after the first frame is a `data: {\"error\": …}` frame.")
                                ],
                            ],
                        ]
                    ].merging(OAS.bodyErrors.merging(OAS.errors(502, 503, 504)) { $1 }) { $1 })
            ],
        ]
    }

    static var openAISchemas: [String: JSONValue] {
        [
            "ModelList": OAS.object(
                [
                    "object": OAS.oneOf(["list"]),
                    "data": OAS.array(
                        OAS.object(
                            [
                                "id": OAS.string("`tern` or `tern/<context name>`."), "object": OAS.oneOf(["model"]),
                                "created": OAS.integer(), "owned_by": OAS.string(),
                            ], required: ["id", "object", "created", "owned_by"])),
                ], required: ["object", "data"]),
            "ChatCompletionRequest": chatRequest,
            "ChatMessage": chatMessage,
            "ChatCompletion": completion,
            "ToolCall": toolCall,
            "Usage": usage,
        ]
    }

    private static let chatRequest = OAS.object(
        [
            "model": OAS.string(
                "`tern`, or `tern/<context name>` to act in that context; any other model is 404 `model_not_found`.",
                minLength: 1, pattern: "^tern(/.+)?$"),
            "messages": OAS.array(
                OAS.ref("ChatMessage"), minItems: 1,
                "The thread; the last message must be `user`, or `tool` results answering the assistant message before them."),
            "stream": OAS.nullable(OAS.boolean()),
            "stream_options": OAS.nullable(
                OAS.object(["include_usage": OAS.nullable(OAS.boolean("A last chunk with `usage`."))])),
            "temperature": OAS.nullable(OAS.number(minimum: 0, maximum: 2)),
            "top_p": OAS.nullable(OAS.number(minimum: 0, maximum: 1)),
            "max_tokens": OAS.nullable(OAS.integer(minimum: 1, maximum: 999_999_999_999)),
            "max_completion_tokens": OAS.nullable(
                OAS.integer("Takes precedence over `max_tokens`.", minimum: 1, maximum: 999_999_999_999)),
            "seed": OAS.nullable(OAS.integer(minimum: -999_999_999_999, maximum: 999_999_999_999)),
            "n": OAS.nullable(OAS.integer("Only 1 is supported.", minimum: 1, maximum: 1)),
            "stop": [
                "anyOf": [OAS.string(), OAS.array(OAS.string(), maxItems: 4), ["type": "null"]]
            ],
            "response_format": OAS.nullable(
                OAS.object(
                    ["type": OAS.oneOf(["text", "json_object", "json_schema"])], required: ["type"],
                    "Passed to the model server.")),
            "tools": OAS.nullable(
                OAS.array(
                    OAS.object(
                        [
                            "type": OAS.oneOf(["function"]),
                            "function": OAS.object(
                                [
                                    "name": OAS.string(
                                        "Unique among the request's tools.", minLength: 1, maxLength: 64,
                                        pattern: "^[A-Za-z0-9_-]+$"),
                                    "description": OAS.nullable(OAS.string()),
                                    "parameters": OAS.nullable(OAS.object([:], "A JSON schema.")),
                                ], required: ["name"]),
                        ], required: ["function"]),
                    "Tools the client runs itself; the model may call them (`tool_calls` in the answer).")),
            "tool_choice": [
                "anyOf": [
                    OAS.oneOf(["none", "auto", "required"]),
                    OAS.object(
                        [
                            "type": OAS.oneOf(["function"]),
                            "function": OAS.object(
                                ["name": OAS.string("One of the request's tools.", minLength: 1)], required: ["name"]),
                        ], required: ["function"]),
                    ["type": "null"],
                ]
            ],
            "user": OAS.nullable(OAS.string("The end user; part of the derived conversation key.")),
        ], required: ["model", "messages"], additional: true,
        "OpenAI's chat request; other fields OpenAI clients send (`metadata`, `parallel_tool_calls`, …) are ignored.")

    private static let chatMessage = OAS.object(
        [
            "role": OAS.oneOf(
                ["system", "developer", "user", "assistant", "tool"], "`developer` is OpenAI's newer name for `system`."),
            "content": [
                "anyOf": [
                    OAS.string(),
                    OAS.array(
                        OAS.object(["type": OAS.oneOf(["text"]), "text": OAS.string()], required: ["type", "text"]),
                        "Text parts only."),
                    ["type": "null"],
                ],
                "description": "Required (not null) except for an assistant message that only called tools.",
            ],
            "name": OAS.nullable(OAS.string()),
            "tool_calls": OAS.nullable(
                OAS.array(
                    OAS.object(
                        [
                            "id": OAS.string(minLength: 1), "type": OAS.oneOf(["function"]),
                            "function": OAS.object(
                                ["name": OAS.string(minLength: 1), "arguments": OAS.nullable(OAS.string())],
                                required: ["name"]),
                        ], required: ["id", "function"]),
                    "An assistant message's calls of the client's tools.")),
            "tool_call_id": OAS.nullable(OAS.string("Required for role `tool`: the call it answers.", minLength: 1)),
        ], required: ["role"])

    private static let completion = OAS.object(
        [
            "id": OAS.string(), "object": OAS.oneOf(["chat.completion"]), "created": OAS.integer(),
            "model": OAS.string(),
            "choices": OAS.array(
                OAS.object(
                    [
                        "index": OAS.integer(),
                        "message": OAS.object(
                            [
                                "role": OAS.oneOf(["assistant"]),
                                "content": OAS.nullable(OAS.string("`null` when the model only called the client's tools.")),
                                "tool_calls": OAS.array(OAS.ref("ToolCall")),
                            ], required: ["role", "content"]),
                        "finish_reason": OAS.string("`stop`, `length`, `tool_calls`, …"),
                    ], required: ["index", "message", "finish_reason"]), minItems: 1, maxItems: 1),
            "usage": OAS.ref("Usage"),
        ], required: ["id", "object", "created", "model", "choices"])

    private static let toolCall = OAS.object(
        [
            "id": OAS.string(), "type": OAS.oneOf(["function"]),
            "function": OAS.object(
                ["name": OAS.string(), "arguments": OAS.string("JSON text.")], required: ["name", "arguments"]),
        ], required: ["id", "type", "function"])

    private static let usage = OAS.object(
        ["prompt_tokens": OAS.integer(), "completion_tokens": OAS.integer(), "total_tokens": OAS.integer()],
        required: ["prompt_tokens", "completion_tokens", "total_tokens"])
}
