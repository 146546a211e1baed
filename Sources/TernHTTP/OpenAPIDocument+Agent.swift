import TernCore

/// `POST /v1/agent` and the approvals, as ``AgentController`` and ``AgentEventStream`` treat them.
extension OpenAPIDocument {
    static var agentPaths: [String: [String: JSONValue]] {
        [
            "/v1/agent": [
                "post": OAS.operation(
                    "runAgent", "A turn of the agent, with its plan, steps and usage", tag: "agent",
                    description: """
                        With `Accept: text/event-stream` the turn streams as typed SSE events \
                        (`plan`, `step`, `tool_call`, `tool_result`, `content`, `approval`, `notice`, then `done` \
                        with the same object as the JSON answer, or `error`), with `: keep-alive` comments while it \
                        is silent; otherwise one JSON answer when the turn ends.
                        """,
                    body: OAS.object(
                        [
                            "input": OAS.string("The message; not blank.", minLength: 1, pattern: "\\S"),
                            "conversation_id": OAS.nullable(
                                OAS.string(
                                    "Continues (or starts) this conversation of the caller; a new one when absent.",
                                    minLength: 1, maxLength: 256, pattern: "^[!-~]+$")),
                        ], required: ["input"]),
                    responses: [
                        "200": [
                            "description": "The finished turn, or its events.",
                            "content": [
                                "application/json": ["schema": OAS.ref("AgentResult")],
                                "text/event-stream": [
                                    "schema": OAS.string("`event: <name>` / `data: <JSON>` frames, `done` or `error` last.")
                                ],
                            ],
                        ]
                    ].merging(OAS.bodyErrors.merging(OAS.errors(502, 503, 504)) { $1 }) { $1 })
            ],
            "/v1/approvals": [
                "get": OAS.operation(
                    "listApprovals", "Approvals waiting in the caller's context", tag: "approvals",
                    responses: [
                        "200": OAS.json("Pending approvals, oldest first.", list(of: OAS.ref("Approval")))
                    ].merging(OAS.authErrors.merging(OAS.errors(503)) { $1 }) { $1 })
            ],
            "/v1/approvals/{id}": [
                "post": OAS.operation(
                    "decideApproval", "Approve or deny a pending tool call", tag: "approvals",
                    parameters: [OAS.pathParameter("id", "The approval's id.")],
                    body: OAS.object(
                        [
                            "decision": OAS.oneOf(["approve", "deny"]),
                            "reason": OAS.nullable(OAS.string("Shown to the agent and kept with the decision.")),
                        ], required: ["decision"]),
                    responses: [
                        "200": OAS.json("The decided approval.", OAS.ref("Approval"))
                    ].merging(OAS.bodyErrors.merging(OAS.errors(409, 503)) { $1 }) { $1 })
            ],
        ]
    }

    /// `{"data": [item]}`, the shape of every list.
    static func list(of item: JSONValue) -> JSONValue {
        OAS.object(["data": OAS.array(item)], required: ["data"])
    }

    static var agentSchemas: [String: JSONValue] {
        [
            "AgentResult": OAS.object(
                [
                    "answer": OAS.string(),
                    "steps": OAS.array(OAS.ref("AgentStep"), "The plan's steps as they finished; empty for a direct answer."),
                    "usage": OAS.nullable(
                        OAS.object(
                            [
                                "prompt_tokens": OAS.integer(), "completion_tokens": OAS.integer(),
                                "total_tokens": OAS.integer(),
                                "estimated": OAS.boolean("Counted by Tern because the model server reported none."),
                            ], required: ["prompt_tokens", "completion_tokens", "total_tokens", "estimated"])),
                    "trace_id": OAS.nullable(OAS.string("The stored assistant message, which holds the whole trace.")),
                    "conversation_id": OAS.string(),
                    "finish_reason": OAS.string(),
                ], required: ["answer", "steps", "usage", "trace_id", "conversation_id", "finish_reason"]),
            "AgentStep": OAS.object(
                [
                    "id": OAS.string(), "title": OAS.string(), "attempt": OAS.integer(),
                    "status": OAS.oneOf(["started", "succeeded", "failed"]), "output": OAS.nullable(OAS.string()),
                    "error": OAS.nullable(OAS.string()),
                ], required: ["id", "title", "attempt", "status", "output", "error"]),
            "Approval": OAS.object(
                [
                    "id": OAS.string(), "tool": OAS.string(), "arguments": OAS.string("JSON text."),
                    "status": OAS.oneOf(ApprovalStatus.self), "reason": OAS.nullable(OAS.string()),
                    "requested_by": OAS.string(), "decided_by": OAS.nullable(OAS.string()),
                    "decided_at": OAS.nullable(OAS.string(format: "date-time")),
                    "created_at": OAS.string(format: "date-time"), "expires_at": OAS.string(format: "date-time"),
                ],
                required: [
                    "id", "tool", "arguments", "status", "reason", "requested_by", "decided_by", "decided_at",
                    "created_at", "expires_at",
                ]),
        ]
    }
}
