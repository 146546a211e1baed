import Foundation
import Synchronization
import TernAgent
import TernCore
import TernTesting

/// A tool whose behaviour a test scripts with a closure; counts its calls.
struct TestTool: Tool {
    let spec: ToolSpec
    let calls = Counter()
    let body: @Sendable (JSONValue, Int) async throws -> ToolOutput

    init(
        _ name: String, risk: ToolRisk = .read,
        schema: JSONValue = .object(["type": .string("object")]),
        body: @escaping @Sendable (JSONValue, Int) async throws -> ToolOutput = { input, _ in .text(input.jsonText) }
    ) throws {
        spec = try ToolSpec(name: name, description: "test tool \(name)", inputSchema: schema, risk: risk)
        self.body = body
    }

    func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        try await body(input, calls.next())
    }
}

final class Counter: Sendable {
    private let value = Mutex(0)
    /// Increments and returns the new value (1 for the first call).
    func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
    var count: Int { value.withLock { $0 } }
}

/// Two tools that each wait until the other has started: both finish only if they run at the
/// same time (a sequential run hangs until the suite's time limit).
func rendezvousTools(_ first: String, _ second: String, outputs: (String, String)) throws -> (TestTool, TestTool) {
    let firstStarted = OneShotSignal()
    let secondStarted = OneShotSignal()
    let a = try TestTool(first) { _, _ in
        firstStarted.fire()
        await secondStarted.wait()
        return .text(outputs.0)
    }
    let b = try TestTool(second) { _, _ in
        secondStarted.fire()
        await firstStarted.wait()
        return .text(outputs.1)
    }
    return (a, b)
}

struct ListToolSource: ToolSource {
    let list: [any Tool]
    func tools(for context: ContextID) async throws -> [any Tool] { list }
}

struct FixedSkillCatalog: SkillCatalog {
    let list: [Skill]
    func skills(for context: ContextID) async -> [String: Skill] {
        Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
    }
}

/// The turn user's membership, which a test can change or revoke mid-turn.
final class Members: Sendable {
    let epoch = MembershipEpoch()
    private let current: Mutex<MemberRole?>
    let checks = Counter()

    init(role: MemberRole = .owner) {
        current = Mutex(role)
    }

    func revoke() { set(nil) }

    func set(_ role: MemberRole?) {
        current.withLock { $0 = role }
        epoch.advance()
    }

    var role: @Sendable (UserID, ContextID) async throws -> MemberRole? {
        { [self] _, _ in
            _ = checks.next()
            return current.withLock { $0 }
        }
    }
}

/// Everything an agent test needs, with memory stores.
struct AgentRig {
    let store = RecordingConversationStore(MemoryConversationStore())
    let approvalStore = MemoryApprovalStore()
    let permissions = MemoryToolPermissionStore()
    let members: Members
    let model: ScriptedModelProvider
    let agent: AgentService

    init(
        _ steps: [ScriptedModelProvider.Step], tools: [any Tool] = [], skills: [Skill] = [],
        settings: AgentSettings = AgentSettings(model: "m"), role: MemberRole = .owner
    ) {
        members = Members(role: role)
        model = ScriptedModelProvider(steps: steps)
        let approvals = ApprovalCenter(store: approvalStore, pollInterval: .milliseconds(20))
        agent = AgentService(
            store: store, model: model, settings: settings,
            tooling: AgentTooling(
                sources: [ListToolSource(list: tools)], permissions: permissions,
                skills: FixedSkillCatalog(list: skills), approvals: approvals, epoch: members.epoch,
                memberRole: members.role),
            sleep: { _ in })
    }

    func turn(_ input: String) async throws -> AgentTurn {
        let conversation = try await store.conversation(
            in: .defaultContext, platform: "test", platformID: UUID().uuidString)
        let session = try await store.currentSession(of: conversation.id, in: .defaultContext)
        return AgentTurn(
            context: .defaultContext, user: .localUser, conversation: conversation.id, session: session.id, input: input)
    }

    /// Runs a turn to its end; `onEvent` sees each event as it comes.
    func run(_ turn: AgentTurn, onEvent: @Sendable (AgentEvent) async throws -> Void = { _ in }) async throws
        -> [AgentEvent]
    {
        var events: [AgentEvent] = []
        for try await event in agent.run(turn) {
            events.append(event)
            try await onEvent(event)
        }
        return events
    }

    func run(_ input: String) async throws -> [AgentEvent] {
        try await run(try await turn(input))
    }

    /// The stored messages of a turn's session.
    func stored(_ turn: AgentTurn) async throws -> [Message] {
        try await store.history(of: turn.session, in: turn.context, limit: 100)
    }
}

extension Array where Element == AgentEvent {
    var content: String {
        reduce(into: "") { text, event in if case .content(let piece) = event { text += piece } }
    }
    var toolResults: [ToolResultEvent] {
        compactMap { if case .toolResult(let result) = $0 { result } else { nil } }
    }
    var stepsFinished: [StepEvent] {
        compactMap { if case .stepFinished(let step) = $0 { step } else { nil } }
    }
    var notices: [String] {
        compactMap { if case .notice(let text) = $0 { text } else { nil } }
    }
}

/// A first reply that routes the turn to a plan with the given steps JSON.
func planReply(_ steps: String, goal: String = "test") -> ScriptedModelProvider.Step {
    .calls(("tern_plan", #"{"goal": "\#(goal)", "steps": \#(steps)}"#))
}
