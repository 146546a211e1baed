import Foundation
package import TernCore

/// Settings of the agent that do not change per turn.
package struct AgentSettings: Sendable {
    /// The upstream model the agent talks to.
    package var model: String
    /// How many stored messages are loaded as history when the channel sends none.
    package var historyLimit: Int
    /// Prepended to every model call, when set.
    package var systemPrompt: String?
    /// Rounds of tool calls one answer (or skill) may make before it is stopped.
    package var maxToolTurns: Int
    /// Plan steps that run at the same time, at most.
    package var maxParallelSteps: Int
    /// Longest tool output (in characters) handed to the model; longer ones are cut with a note.
    package var toolOutputBudget: Int
    /// How long one tool call may run.
    package var toolTimeout: Duration
    /// How long a tool call waits for a human decision before it is denied.
    package var approvalTimeout: Duration
    /// Tools that need approval whatever their risk (tools with risk `dangerous` always do).
    package var approvalRequired: Set<String>
    /// Permission of a tool in a context that has no `tool_permissions` row for it.
    package var defaultToolPermission: ToolPermission
    /// How often a failed plan is re-planned before the turn gives up.
    package var maxReplans: Int
    /// Wait before the first replan; doubles each time, capped at ``replanBackoffCap``.
    package var replanBackoff: Duration
    package var replanBackoffCap: Duration
    /// Whether a router call decides between direct answer, plan and skill (when the context
    /// has tools or skills). Off: always answer directly, with tools on offer.
    package var routerEnabled: Bool

    package init(
        model: String, historyLimit: Int = 50, systemPrompt: String? = nil, maxToolTurns: Int = 8,
        maxParallelSteps: Int = 4, toolOutputBudget: Int = 16_000, toolTimeout: Duration = .seconds(60),
        approvalTimeout: Duration = .seconds(300), approvalRequired: Set<String> = [],
        defaultToolPermission: ToolPermission = .allow, maxReplans: Int = 2,
        replanBackoff: Duration = .milliseconds(500), replanBackoffCap: Duration = .seconds(5),
        routerEnabled: Bool = true
    ) {
        self.model = model
        self.historyLimit = historyLimit
        self.systemPrompt = systemPrompt
        self.maxToolTurns = maxToolTurns
        self.maxParallelSteps = maxParallelSteps
        self.toolOutputBudget = toolOutputBudget
        self.toolTimeout = toolTimeout
        self.approvalTimeout = approvalTimeout
        self.approvalRequired = approvalRequired
        self.defaultToolPermission = defaultToolPermission
        self.maxReplans = maxReplans
        self.replanBackoff = replanBackoff
        self.replanBackoffCap = replanBackoffCap
        self.routerEnabled = routerEnabled
    }

    /// The wait before replan number `attempt` (1-based): doubling, capped.
    package func backoff(beforeReplan attempt: Int) -> Duration {
        var wait = replanBackoff
        for _ in 1..<max(attempt, 1) where wait < replanBackoffCap { wait *= 2 }
        return min(wait, replanBackoffCap)
    }
}
