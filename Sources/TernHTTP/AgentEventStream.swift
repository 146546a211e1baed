import Foundation
import Hummingbird
import Logging
import TernAgent
import TernCore

/// Renders the agent's events for the agent API: typed SSE frames
/// (`event: plan|step|tool_call|tool_result|content|approval|notice|error|done`, JSON data),
/// and the summary the JSON answer and the `done` frame carry.
enum AgentEventStream {
    /// What a finished turn reports: `{answer, steps[], usage, trace_id, …}`.
    struct Summary {
        var answer = ""
        var steps: [JSONValue] = []
        var usage: TokenUsage?
        var messageID: MessageID?
        var finishReason = "stop"

        mutating func add(_ event: AgentEvent) {
            switch event {
            case .content(let text): answer += text
            case .usage(let reported): usage = reported
            case .stepFinished(let step): steps.append(AgentEventStream.json(step, status: step.error == nil ? "succeeded" : "failed"))
            case .finished(let id, let reason): (messageID, finishReason) = (id, reason)
            default: break
            }
        }

        /// `trace_id` is the stored assistant message, which holds the whole trace.
        func done(conversationKey: String) -> JSONValue {
            .object([
                "answer": .string(answer), "steps": .array(steps),
                "usage": usage.map(AgentEventStream.json) ?? .null,
                "trace_id": messageID.map { .string($0.rawValue) } ?? .null,
                "conversation_id": .string(conversationKey), "finish_reason": .string(finishReason),
            ])
        }
    }

    /// The SSE response: the head waits for the turn's first item (see ``TurnStream``), then
    /// each event as its frame, and `done` with the summary.
    static func response(
        _ turn: Turn, conversationKey: String, logger: Logger, release: @escaping @Sendable () -> Void
    ) async throws -> Response {
        try await TurnStream.response(turn, release: release) { items, writer in
            var summary = Summary()
            do {
                while let item = try await items.next() {
                    switch item {
                    case .quiet:
                        try await writer.write(TurnStream.keepAliveFrame)
                    case .event(let event):
                        summary.add(event)
                        if let (name, data) = frame(for: event) {
                            try await writer.write(ByteBuffer(string: "event: \(name)\ndata: \(data.jsonText)\n\n"))
                        }
                    }
                }
                try await writer.write(
                    ByteBuffer(string: "event: done\ndata: \(summary.done(conversationKey: conversationKey).jsonText)\n\n"))
            } catch let error where !(error is CancellationError) && !TurnStream.isClientGone(error) {
                let apiError =
                    APIError.from(error)
                    ?? APIError(status: .internalServerError, message: "internal error; see the server log", type: "server_error")
                logger.warning("agent stream ended with an error", metadata: ["error": "\(error)"])
                try await writer.write(
                    ByteBuffer(string: "event: error\ndata: \(String(decoding: apiError.jsonBody, as: UTF8.self))\n\n"))
            }
            try await writer.finish(nil)
        }
    }

    /// The SSE event name and data of an event; `nil` for those folded into `done`.
    static func frame(for event: AgentEvent) -> (String, JSONValue)? {
        switch event {
        case .content(let text): ("content", ["text": .string(text)])
        // The agent API takes no client tools, so `clientToolCalls` never reaches it.
        case .usage, .finished, .routed(.direct), .clientToolCalls: nil
        case .routed(let route): ("notice", ["route": .string(ProgressRenderer.describe(route))])
        case .notice(let message): ("notice", ["message": .string(message)])
        case .plan(let plan): ("plan", plan.json)
        case .stepStarted(let step): ("step", json(step, status: "started"))
        case .stepFinished(let step): ("step", json(step, status: step.error == nil ? "succeeded" : "failed"))
        case .toolCall(let call):
            (
                "tool_call",
                [
                    "id": .string(call.callID), "tool": .string(call.tool), "arguments": .string(call.arguments),
                    "step": call.stepID.map(JSONValue.string) ?? .null,
                ]
            )
        case .toolResult(let result):
            (
                "tool_result",
                [
                    "id": .string(result.callID), "tool": .string(result.tool), "output": .string(result.output),
                    "is_error": .bool(result.isError), "truncated": .bool(result.truncated),
                    "step": result.stepID.map(JSONValue.string) ?? .null,
                ]
            )
        case .approvalRequired(let approval), .approvalDecided(let approval): ("approval", json(approval))
        }
    }

    static func json(_ step: StepEvent, status: String) -> JSONValue {
        [
            "id": .string(step.stepID), "title": .string(step.title), "attempt": .number(Double(step.attempt)),
            "status": .string(status), "output": step.output.map(JSONValue.string) ?? .null,
            "error": step.error.map(JSONValue.string) ?? .null,
        ]
    }

    static func json(_ usage: TokenUsage) -> JSONValue {
        [
            "prompt_tokens": .number(Double(usage.promptTokens)),
            "completion_tokens": .number(Double(usage.completionTokens)),
            "total_tokens": .number(Double(usage.totalTokens)),
            "estimated": .bool(usage.estimated),
        ]
    }

    static func json(_ approval: Approval) -> JSONValue {
        [
            "id": .string(approval.id.rawValue), "tool": .string(approval.tool),
            "arguments": .string(approval.arguments), "status": .string(approval.status.rawValue),
            "reason": approval.reason.map(JSONValue.string) ?? .null,
            "requested_by": .string(approval.requestedBy.rawValue),
            "decided_by": approval.decidedBy.map { .string($0.rawValue) } ?? .null,
            "decided_at": approval.decidedAt.map { .string($0.iso8601) } ?? .null,
            "created_at": .string(approval.createdAt.iso8601), "expires_at": .string(approval.expiresAt.iso8601),
        ]
    }
}

extension Date {
    fileprivate var iso8601: String { ISO8601DateFormatter().string(from: self) }
}
