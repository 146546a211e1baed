import Foundation
package import TernCore

/// How much of the agent's work an OpenAI client sees as text (header `X-Tern-Verbosity`).
package enum Verbosity: String, Sendable, CaseIterable {
    /// Plan, steps, tool names, approvals: one short line each.
    case `default`
    /// Also tool arguments, result previews and routing.
    case verbose
    /// Also whole tool results and step outputs.
    case debug
}

/// Renders the agent's progress events as compact Markdown lines for the `content` of an
/// OpenAI response, so any OpenAI client shows them without knowing Tern. Returns `nil` for
/// events that are not progress (content, usage, finished) or that the verbosity hides.
package struct ProgressRenderer: Sendable {
    package var verbosity: Verbosity
    /// Longest preview of arguments and results below `debug`.
    package var previewLimit: Int

    package init(verbosity: Verbosity, previewLimit: Int = 200) {
        self.verbosity = verbosity
        self.previewLimit = previewLimit
    }

    package func line(for event: AgentEvent) -> String? {
        let text: String?
        switch event {
        case .content, .usage, .finished, .routed(.direct), .clientToolCalls:
            // A direct answer is the ordinary case: the answer itself says enough. Client tool
            // calls are rendered by the channel in its own format (OpenAI `tool_calls`).
            return nil
        case .routed(let route):
            text = verbosity == .default ? nil : "route: \(Self.describe(route))"
        case .notice(let message):
            text = "note: \(message)"
        case .plan(let plan):
            let goal = plan.goal.isEmpty ? "" : " \(plan.goal)"
            text =
                "**Plan:**\(goal) (\(plan.steps.count) step\(plan.steps.count == 1 ? "" : "s"))"
                + (verbosity == .default ? "" : " " + plan.steps.map { "`\($0.id)`" }.joined(separator: ", "))
        case .stepStarted(let step):
            text =
                verbosity == .default
                ? nil
                : "… step `\(step.stepID)` (\(step.title))"
                    + (step.attempt > 1 ? ", attempt \(step.attempt)" : "")
        case .stepFinished(let step):
            if let error = step.error {
                text = "✗ step `\(step.stepID)` failed: \(preview(error))"
            } else if verbosity == .default {
                text = "✓ step `\(step.stepID)`"
            } else {
                text = "✓ step `\(step.stepID)`: \(preview(step.output ?? ""))"
            }
        case .toolCall(let call):
            text =
                verbosity == .default
                ? "→ `\(call.tool)`" : "→ `\(call.tool)` \(preview(call.arguments))"
        case .toolResult(let result):
            if verbosity == .default {
                text = result.isError ? "✗ `\(result.tool)`: \(preview(result.output))" : nil
            } else {
                text = "\(result.isError ? "✗" : "←") `\(result.tool)`: \(preview(result.output))"
            }
        case .approvalRequired(let approval):
            text =
                "**Approval needed** to run `\(approval.tool)` \(preview(approval.arguments)). "
                + "Reply `/approve \(approval.id)` or `/deny \(approval.id)`."
        case .approvalDecided(let approval):
            text =
                "approval `\(approval.id)`: \(approval.status.rawValue)"
                + (approval.reason.map { " (\($0))" } ?? "")
        }
        return text.map { "> \($0)\n\n" }
    }

    private func preview(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        guard verbosity != .debug, flat.count > previewLimit else { return flat }
        return String(flat.prefix(previewLimit)) + "…"
    }

    package static func describe(_ route: AgentRoute) -> String {
        switch route {
        case .direct: "direct answer"
        case .plan: "plan"
        case .skill(let name): "skill \(name)"
        case .fallback(let reason): "direct answer (router reply unusable: \(reason))"
        }
    }
}
