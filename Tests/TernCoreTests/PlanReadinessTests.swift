import Testing

@testable import TernCore

struct PlanReadinessTests {
    /// a, b independent; c needs a; d needs b and c; answer z (declares only d).
    static let plan: Plan = {
        let text = #"""
            {"goal": "g", "steps": [
              {"id": "a", "kind": "tool", "tool": "clock"},
              {"id": "z", "kind": "answer", "depends_on": ["d"]},
              {"id": "b", "kind": "tool", "tool": "clock"},
              {"id": "c", "kind": "tool", "tool": "clock", "depends_on": ["a"]},
              {"id": "d", "kind": "tool", "tool": "clock", "depends_on": ["b", "c"]},
              {"id": "e", "kind": "tool", "tool": "clock"}]}
            """#
        do {
            return try PlanParser.parse(text, knownTools: ["clock"], knownSkills: [])
        } catch {
            Issue.record("fixture plan rejected: \(error)")
            return Plan.directAnswer(goal: "")
        }
    }()

    struct Case: CustomTestStringConvertible, Sendable {
        var completed: Set<String>
        var running: Set<String>
        var ready: [String]
        var testDescription: String { "completed \(completed.sorted()), running \(running.sorted())" }
    }

    static let cases: [Case] = [
        Case(completed: [], running: [], ready: ["a", "b", "e"]),
        Case(completed: [], running: ["a", "e"], ready: ["b"]),
        Case(completed: ["a"], running: ["b"], ready: ["c", "e"]),
        Case(completed: ["a", "b"], running: [], ready: ["c", "e"]),
        Case(completed: ["a", "b", "c"], running: [], ready: ["d", "e"]),
        // The answer waits for every step, not only the ones it declares.
        Case(completed: ["a", "b", "c", "d"], running: ["e"], ready: []),
        Case(completed: ["a", "b", "c", "d", "e"], running: [], ready: ["z"]),
        Case(completed: ["a", "b", "c", "d", "e", "z"], running: [], ready: []),
    ]

    @Test(arguments: cases)
    func readySteps_followsDependencies(_ readiness: Case) {
        let ready = Self.plan.readySteps(completed: readiness.completed, running: readiness.running)
        #expect(ready.map(\.id) == readiness.ready)
    }

    @Test func layers_groupIndependentStepsAndPutTheAnswerLast() {
        #expect(Self.plan.layers.map { $0.map(\.id) } == [["a", "b", "e"], ["c"], ["d"], ["z"]])
    }

    @Test func directAnswer_isOneAnswerStep() {
        let plan = Plan.directAnswer(goal: "hi", input: "say hi")
        #expect(plan.steps == [PlanStep(id: "answer", kind: .answer, input: "say hi")])
        #expect(plan.layers.map { $0.map(\.id) } == [["answer"]])
        #expect(plan.readySteps(completed: []).map(\.id) == ["answer"])
    }

    @Test func step_findsByID() {
        #expect(Self.plan.step("c")?.dependsOn == ["a"])
        #expect(Self.plan.step("nope") == nil)
        #expect(Self.plan.answerStep.id == "z")
    }
}
