import Foundation
import TernAgent
import TernCore
import TernTesting

/// A read-only tool with an empty object schema that runs `body`; the steps of the benchmark's plans.
struct BenchTool: Tool {
    /// Name, description, empty object schema, risk `read`.
    let spec: ToolSpec
    /// What a call does.
    let body: @Sendable () async throws -> ToolOutput

    /// Answers `ok` at once: what is left of a step is the executor's own work.
    static func noop() throws -> BenchTool {
        try BenchTool(spec: ToolSpec(name: "noop", description: "does nothing", risk: .read)) { .text("ok") }
    }

    /// Waits 100 ms (`Task.sleep`, no CPU), then answers `ok`: a tool that waits on I/O.
    static func sleep100() throws -> BenchTool {
        try BenchTool(spec: ToolSpec(name: "sleep100", description: "waits 100 ms", risk: .read)) {
            try await Task.sleep(for: .milliseconds(100))
            return .text("ok")
        }
    }

    /// Runs ``body``; the input (always `{}`) is ignored.
    func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        try await body()
    }
}

/// Offers the same tools to every context.
struct BenchToolSource: ToolSource {
    /// The tools offered.
    let list: [any Tool]
    /// ``list``, whatever the context.
    func tools(for context: ContextID) async throws -> [any Tool] { list }
}

/// No skills anywhere.
struct NoSkills: SkillCatalog {
    /// Always empty.
    func skills(for context: ContextID) async -> [String: Skill] { [:] }
}

/// The `tern_plan` arguments of a plan of `count` calls of `tool` and the answer step:
/// independent steps, or a chain in which `s(k)` depends on `s(k-1)`.
func planJSON(tool: String, count: Int, chained: Bool) -> String {
    var steps: [String] = []
    for index in 1...count {
        let dependency = chained && index > 1 ? #", "depends_on": ["s\#(index - 1)"]"# : ""
        steps.append(#"{"id": "s\#(index)", "kind": "tool", "tool": "\#(tool)"\#(dependency)}"#)
    }
    steps.append(#"{"id": "done", "kind": "answer"}"#)
    return #"{"goal": "bench", "steps": [\#(steps.joined(separator: ", "))]}"#
}

/// One `AgentService` over memory stores and a scripted model, with the bench tools, and the
/// conversation its turns go to. Each series of turns gets a fresh rig, so what the memory
/// stores and the model keep (every message and request) is dropped between series.
struct BenchRig {
    /// The scripted model's final answer to every turn.
    static let answer = "All steps ran."

    /// The service under test.
    let agent: AgentService
    /// Its model; each turn enqueues its two answers.
    let model: ScriptedModelProvider
    /// The turn every run sends (same conversation, session and input).
    let turn: AgentTurn

    /// - Parameter maxParallelSteps: the plan concurrency limit (Tern's default is 4).
    init(maxParallelSteps: Int) async throws {
        let store = MemoryConversationStore()
        model = ScriptedModelProvider(steps: [])
        let tooling = AgentTooling(
            sources: [BenchToolSource(list: [try BenchTool.noop(), try BenchTool.sleep100()])],
            permissions: MemoryToolPermissionStore(), skills: NoSkills(),
            approvals: ApprovalCenter(store: MemoryApprovalStore()), epoch: MembershipEpoch(),
            memberRole: { _, _ in .owner })
        agent = AgentService(
            store: store, model: model, settings: AgentSettings(model: "bench", maxParallelSteps: maxParallelSteps),
            tooling: tooling)
        let conversation = try await store.conversation(in: .defaultContext, platform: "bench", platformID: "bench")
        let session = try await store.currentSession(of: conversation.id, in: .defaultContext)
        // An empty thread from the client: no history is read, so turns do not grow with the session.
        turn = AgentTurn(
            context: .defaultContext, user: .localUser, conversation: conversation.id, session: session.id,
            input: "Run the benchmark plan.", priorMessages: [])
    }

    /// Scripts the model (route to `plan`, then answer), runs one turn, drains its events and
    /// checks that it ran as a plan of `steps` tool steps plus the answer. Returns the time from
    /// `run` to the end of the event stream; the scripting is not timed.
    func runTurn(plan: String, steps: Int) async throws -> Duration {
        model.enqueue(.calls(("tern_plan", plan)), .text(Self.answer))
        let clock = ContinuousClock()
        let start = clock.now
        var routed: AgentRoute?
        var finishedSteps = 0
        var failedSteps = 0
        var content = ""
        var finished = false
        for try await event in agent.run(turn) {
            switch event {
            case .routed(let route): routed = route
            case .stepFinished(let step): if step.error == nil { finishedSteps += 1 } else { failedSteps += 1 }
            case .content(let piece): content += piece
            case .finished: finished = true
            default: break
            }
        }
        let elapsed = clock.now - start
        guard routed == .plan, finishedSteps == steps + 1, failedSteps == 0, content == Self.answer, finished else {
            throw BenchError(
                "turn did not run as planned: route \(String(describing: routed)), \(finishedSteps) steps finished "
                    + "(expected \(steps + 1)), \(failedSteps) failed, finished \(finished), answer \(content.debugDescription)")
        }
        return elapsed
    }
}

/// A failure reported as `tern-bench-agent: <message>`.
struct BenchError: Error, CustomStringConvertible {
    /// The message.
    var description: String
    /// A failure with this message.
    init(_ description: String) { self.description = description }
}
