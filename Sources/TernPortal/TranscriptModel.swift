import Foundation
import TernCore

/// The transcript page's model: every message of a conversation with what the agent did for it
/// (route, plans, steps, tool calls and their results, approvals) and its token usage, read from
/// the message's `tool_data` as ``TurnRecorder`` writes it.
struct TranscriptModel: Sendable {
    struct Call: Sendable {
        var tool: String
        var arguments: String
        var output: String?
        var isError: Bool
    }

    struct PlanStep: Sendable {
        var id: String
        var kind: String
        var target: String
        var dependsOn: String
    }

    struct Plan: Sendable {
        var goal: String
        var steps: [PlanStep]
    }

    struct StepResult: Sendable {
        var id: String
        var title: String
        var attempt: Int
        var outcome: String
        var failed: Bool
    }

    struct Entry: Sendable {
        var id: String
        var role: String
        var content: String
        var at: String
        var superseded: Bool
        var incomplete: Bool
        var tokens: String?
        var route: String?
        var plans: [Plan]
        var steps: [StepResult]
        /// Stored, not computed: templates read models by reflection.
        var hasSteps = false
        var calls: [Call]
        var notices: [String]
        /// `tool_data` that is not the JSON object the agent writes, shown as text.
        var rawToolData: String?
    }

    struct ApprovalRow: Sendable {
        var tool: String
        var arguments: String
        var status: String
        var requestedBy: String
        var decidedBy: String
        var reason: String
        var at: String
    }

    var id: String
    var contextName: String
    var platform: String
    var startedBy: String
    var started: String
    var messageCount: Int
    var totalTokens: Int
    var entries: [Entry]
    var approvals: [ApprovalRow]
    /// Stored, not computed (as every flag here): templates read models by reflection.
    var hasApprovals: Bool
    /// Whether the visitor may delete it (the context's owner or an admin).
    var canDelete: Bool
    var deleteAction: String

    init(_ transcript: ConversationTranscript, canDelete: Bool) {
        let summary = transcript.summary
        id = summary.conversation.id.rawValue
        contextName = summary.contextName
        platform = summary.conversation.platform
        startedBy = summary.startedBy?.rawValue ?? "unknown"
        started = PortalFormat.time(summary.conversation.createdAt)
        messageCount = summary.messageCount
        totalTokens = summary.totalTokens
        entries = transcript.messages.map(Self.entry)
        approvals = transcript.approvals.map { approval in
            ApprovalRow(
                tool: approval.tool, arguments: approval.arguments, status: approval.status.rawValue,
                requestedBy: approval.requestedBy.rawValue,
                decidedBy: approval.decidedBy?.rawValue ?? "", reason: approval.reason ?? "",
                at: PortalFormat.time(approval.createdAt))
        }
        hasApprovals = !approvals.isEmpty
        self.canDelete = canDelete
        deleteAction = "/admin/conversations/\(PortalPath.component(id))/delete"
    }

    static func entry(_ item: TranscriptMessage) -> Entry {
        let message = item.message
        var entry = Entry(
            id: message.id.rawValue, role: message.role.rawValue, content: message.content,
            at: PortalFormat.time(message.createdAt), superseded: item.superseded,
            incomplete: message.status == .incomplete,
            tokens: message.usage.map {
                "\($0.promptTokens) in, \($0.completionTokens) out, \($0.totalTokens) total\($0.estimated ? " (estimated)" : "")"
            }, route: nil, plans: [], steps: [], calls: [], notices: [], rawToolData: nil)
        guard let text = message.toolData else { return entry }
        guard let data = try? JSONValue(parsing: text), data.objectValue != nil else {
            // Not the agent's object (a tool message's result, an older format): shown as it is.
            entry.rawToolData = text
            return entry
        }
        entry.route = data["route"]?.stringValue
        entry.notices = data["notices"]?.arrayValue?.compactMap(\.stringValue) ?? []
        entry.plans = data["plans"]?.arrayValue?.map(plan) ?? []
        entry.steps = data["steps"]?.arrayValue?.map(step) ?? []
        entry.hasSteps = !entry.steps.isEmpty
        entry.calls = data["tool_calls"]?.arrayValue?.map(call) ?? []
        return entry
    }

    static func plan(_ value: JSONValue) -> Plan {
        Plan(
            goal: value["goal"]?.stringValue ?? "",
            steps: value["steps"]?.arrayValue?.map { step in
                let kind = step["kind"]?.stringValue ?? "?"
                return PlanStep(
                    id: step["id"]?.stringValue ?? "?", kind: kind,
                    target: step["tool"]?.stringValue ?? step["skill"]?.stringValue ?? step["input"]?
                        .stringValue ?? "",
                    dependsOn: step["depends_on"]?.arrayValue?.compactMap(\.stringValue).joined(
                        separator: ", ") ?? "")
            } ?? [])
    }

    static func step(_ value: JSONValue) -> StepResult {
        let error = value["error"]?.stringValue
        let attempt =
            value["attempt"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 1
        return StepResult(
            id: value["id"]?.stringValue ?? "?", title: value["title"]?.stringValue ?? "",
            attempt: attempt,
            outcome: error ?? value["output"]?.stringValue ?? "", failed: error != nil)
    }

    static func call(_ value: JSONValue) -> Call {
        Call(
            tool: value["tool"]?.stringValue ?? "?", arguments: value["arguments"]?.stringValue ?? "",
            output: value["output"]?.stringValue, isError: value["is_error"] == .bool(true))
    }
}

/// Paths the portal's pages link to.
enum PortalPath {
    /// `value` percent-encoded for one path segment (ids are normally UUIDs; anything else still
    /// makes a link that routes back to it).
    static func component(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
