import Foundation
import Testing

@testable import TernCore

struct PlanParserTests {
    static let tools: Set<String> = ["clock", "calculator", "web_search"]
    static let skills: Set<String> = ["summarize"]

    static func parse(_ text: String) throws(PlanError) -> Plan {
        try PlanParser.parse(text, knownTools: tools, knownSkills: skills)
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var error: PlanError
        var message: String
        var testDescription: String { name }

        init(_ name: String, _ text: String, _ error: PlanError, _ message: String) {
            self.name = name
            self.text = text
            self.error = error
            self.message = message
        }
    }

    static let answer = #"{"id": "z", "kind": "answer"}"#

    static let malformed: [BadCase] = [
        BadCase(
            "no JSON at all", "I would just answer directly.", .noJSONObject,
            "plan: no JSON object found in the reply"),
        BadCase(
            "invalid JSON", #"{"goal": "x", "steps": [,]}"#,
            .invalidJSON(reason: "the object starting at line 1 is not valid JSON"),
            "plan: not valid JSON (the object starting at line 1 is not valid JSON)"),
        BadCase(
            "truncated JSON", "Plan:\n{\"goal\": \"x\", \"steps\": [{\"id\": \"a\", \"kind\": \"answer\"}",
            .invalidJSON(reason: "the object starting at line 2 is never closed"),
            "plan: not valid JSON (the object starting at line 2 is never closed)"),
        BadCase(
            "missing goal", #"{"steps": [\#(answer)]}"#, .missingField(.plan, field: "goal"),
            #"plan, field "goal": missing"#),
        BadCase(
            "goal not a string", #"{"goal": 3, "steps": [\#(answer)]}"#,
            .wrongType(.plan, field: "goal", expected: "string", got: "number"),
            #"plan, field "goal": expected string, got number"#),
        BadCase(
            "missing steps", #"{"goal": "x"}"#, .missingField(.plan, field: "steps"),
            #"plan, field "steps": missing"#),
        BadCase(
            "steps not an array", #"{"goal": "x", "steps": {"id": "a"}}"#,
            .wrongType(.plan, field: "steps", expected: "array", got: "object"),
            #"plan, field "steps": expected array, got object"#),
        BadCase(
            "empty plan", #"{"goal": "x", "steps": []}"#, .emptyPlan,
            #"plan, field "steps": the plan has no steps"#),
        BadCase(
            "step not an object", #"{"goal": "x", "steps": [\#(answer), "b"]}"#,
            .wrongType(.plan, field: "steps[1]", expected: "object", got: "string"),
            #"plan, field "steps[1]": expected object, got string"#),
        BadCase(
            "missing step id", #"{"goal": "x", "steps": [{"kind": "answer"}]}"#,
            .missingField(.stepIndex(0), field: "id"), #"steps[0], field "id": missing"#),
        BadCase(
            "empty step id", #"{"goal": "x", "steps": [{"id": " ", "kind": "answer"}]}"#,
            .emptyValue(.stepIndex(0), field: "id"), #"steps[0], field "id": must not be empty"#),
        BadCase(
            "step id not a string", #"{"goal": "x", "steps": [{"id": 1, "kind": "answer"}]}"#,
            .wrongType(.stepIndex(0), field: "id", expected: "string", got: "number"),
            #"steps[0], field "id": expected string, got number"#),
        BadCase(
            "duplicate step id",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "tool", "tool": "clock"}, {"id": "a", "kind": "answer"}]}"#,
            .duplicateStepID("a", index: 1), #"steps[1], field "id": duplicate step id "a""#),
        BadCase(
            "missing kind", #"{"goal": "x", "steps": [{"id": "a"}]}"#,
            .missingField(.step("a"), field: "kind"), #"step "a", field "kind": missing"#),
        BadCase(
            "kind not a string", #"{"goal": "x", "steps": [{"id": "a", "kind": ["tool"]}]}"#,
            .wrongType(.step("a"), field: "kind", expected: "string", got: "array"),
            #"step "a", field "kind": expected string, got array"#),
        BadCase(
            "unknown kind", #"{"goal": "x", "steps": [{"id": "a", "kind": "search"}]}"#,
            .unknownKind(step: "a", kind: "search"),
            #"step "a", field "kind": unknown kind "search" (expected tool, skill or answer)"#),
        BadCase(
            "tool step without tool", #"{"goal": "x", "steps": [{"id": "a", "kind": "tool"}, \#(answer)]}"#,
            .missingField(.step("a"), field: "tool"), #"step "a", field "tool": missing"#),
        BadCase(
            "tool step with empty tool",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "tool", "tool": ""}, \#(answer)]}"#,
            .emptyValue(.step("a"), field: "tool"), #"step "a", field "tool": must not be empty"#),
        BadCase(
            "unknown tool",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "tool", "tool": "web_serch"}, \#(answer)]}"#,
            .unknownTool(step: "a", tool: "web_serch"), #"step "a", field "tool": unknown tool "web_serch""#),
        BadCase(
            "tool not a string",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "tool", "tool": {"name": "clock"}}, \#(answer)]}"#,
            .wrongType(.step("a"), field: "tool", expected: "string", got: "object"),
            #"step "a", field "tool": expected string, got object"#),
        BadCase(
            "skill step without skill", #"{"goal": "x", "steps": [{"id": "a", "kind": "skill"}, \#(answer)]}"#,
            .missingField(.step("a"), field: "skill"), #"step "a", field "skill": missing"#),
        BadCase(
            "unknown skill",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "skill", "skill": "translate"}, \#(answer)]}"#,
            .unknownSkill(step: "a", skill: "translate"), #"step "a", field "skill": unknown skill "translate""#),
        BadCase(
            "skill not a string on another kind",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "answer", "skill": true}]}"#,
            .wrongType(.step("a"), field: "skill", expected: "string", got: "boolean"),
            #"step "a", field "skill": expected string, got boolean"#),
        BadCase(
            "args not an object",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "tool", "tool": "clock", "args": [1]}, \#(answer)]}"#,
            .wrongType(.step("a"), field: "args", expected: "object", got: "array"),
            #"step "a", field "args": expected object, got array"#),
        BadCase(
            "input not a string", #"{"goal": "x", "steps": [{"id": "a", "kind": "answer", "input": 42}]}"#,
            .wrongType(.step("a"), field: "input", expected: "string", got: "number"),
            #"step "a", field "input": expected string, got number"#),
        BadCase(
            "depends_on not an array",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "answer", "depends_on": "b"}]}"#,
            .wrongType(.step("a"), field: "depends_on", expected: "array of strings", got: "string"),
            #"step "a", field "depends_on": expected array of strings, got string"#),
        BadCase(
            "depends_on element not a string",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "answer", "depends_on": ["b", 2]}]}"#,
            .wrongType(.step("a"), field: "depends_on[1]", expected: "string", got: "number"),
            #"step "a", field "depends_on[1]": expected string, got number"#),
        BadCase(
            "dependency on a missing step",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "tool", "tool": "clock", "depends_on": ["b"]}, \#(answer)]}"#,
            .missingDependency(step: "a", dependency: "b"), #"step "a", field "depends_on": no step with id "b""#),
        BadCase(
            "self dependency",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "tool", "tool": "clock", "depends_on": ["a"]}, \#(answer)]}"#,
            .selfDependency(step: "a"), #"step "a", field "depends_on": a step cannot depend on itself"#),
        BadCase(
            "cycle of two",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "tool", "tool": "clock", "depends_on": ["b"]}, {"id": "b", "kind": "tool", "tool": "clock", "depends_on": ["a"]}, \#(answer)]}"#,
            .cycle(["a", "b"]), #"plan, field "depends_on": dependency cycle "a" -> "b" -> "a""#),
        BadCase(
            "cycle reported from its earliest step",
            #"""
            {"goal": "x", "steps": [
              {"id": "s", "kind": "tool", "tool": "clock", "depends_on": ["c"]},
              {"id": "a", "kind": "tool", "tool": "clock", "depends_on": ["b"]},
              {"id": "b", "kind": "tool", "tool": "clock"},
              {"id": "c", "kind": "tool", "tool": "clock", "depends_on": ["d"]},
              {"id": "d", "kind": "tool", "tool": "clock", "depends_on": ["a", "e"]},
              {"id": "e", "kind": "tool", "tool": "clock", "depends_on": ["c"]},
              {"id": "z", "kind": "answer", "depends_on": ["s"]}]}
            """#,
            .cycle(["c", "d", "e"]), #"plan, field "depends_on": dependency cycle "c" -> "d" -> "e" -> "c""#),
        BadCase(
            "no answer step", #"{"goal": "x", "steps": [{"id": "a", "kind": "tool", "tool": "clock"}]}"#,
            .missingAnswerStep, #"plan, field "steps": no step of kind "answer""#),
        BadCase(
            "two answer steps",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "answer"}, {"id": "b", "kind": "answer"}]}"#,
            .multipleAnswerSteps(["a", "b"]),
            #"plan, field "steps": only one step may be of kind "answer", found "a", "b""#),
        BadCase(
            "step depending on the answer step",
            #"{"goal": "x", "steps": [{"id": "a", "kind": "tool", "tool": "clock", "depends_on": ["z"]}, \#(answer)]}"#,
            .dependsOnAnswer(step: "a", answer: "z"),
            #"step "a", field "depends_on": cannot depend on the answer step "z", which runs last"#),
    ]

    @Test(arguments: malformed)
    func parse_rejectsMalformedPlan(_ badCase: BadCase) {
        #expect(throws: badCase.error) { try Self.parse(badCase.text) }
        #expect(badCase.error.description == badCase.message)
    }

    struct GoodCase: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var testDescription: String { name }
        init(_ name: String, _ text: String) {
            self.name = name
            self.text = text
        }
    }

    static let plainPlan = #"""
        {"goal": "Weather and time in Paris",
         "steps": [
          {"id": "time", "kind": "tool", "tool": "clock", "args": {"tz": "Europe/Paris"}},
          {"id": "news", "kind": "tool", "tool": "web_search", "args": {"q": "Paris {weather}"}, "input": null},
          {"id": "sum", "kind": "skill", "skill": "summarize", "input": "Summarise \"news\"", "depends_on": ["news"]},
          {"id": "final", "kind": "answer", "input": "Reply briefly", "depends_on": ["time", "sum", "sum"]}
         ]}
        """#

    static let wrapped: [GoodCase] = [
        GoodCase("bare JSON", plainPlan),
        GoodCase("json code fence with prose", "Here is my plan:\n```json\n\(plainPlan)\n```\nLet me know!"),
        GoodCase("plain code fence", "```\n\(plainPlan)\n```"),
        GoodCase("prose before and after", "Sure. I will {think} first. \(plainPlan) That's it {ok}."),
        GoodCase("fence with junk object before", "Use {braces}.\n```json\n\(plainPlan)\n```"),
        GoodCase(
            "extra keys ignored",
            plainPlan.replacingOccurrences(of: #""goal":"#, with: #""version": 2, "notes": {"a": [1]}, "goal":"#)
                .replacingOccurrences(of: #""id": "time","#, with: #""id": "time", "why": "need it", "retries": 3,"#)),
    ]

    @Test(arguments: wrapped)
    func parse_acceptsValidPlan(_ goodCase: GoodCase) throws {
        let plan = try Self.parse(goodCase.text)
        #expect(plan.goal == "Weather and time in Paris")
        #expect(
            plan.steps == [
                PlanStep(id: "time", kind: .tool("clock"), args: ["tz": .string("Europe/Paris")]),
                PlanStep(id: "news", kind: .tool("web_search"), args: ["q": .string("Paris {weather}")]),
                PlanStep(id: "sum", kind: .skill("summarize"), input: #"Summarise "news""#, dependsOn: ["news"]),
                PlanStep(id: "final", kind: .answer, input: "Reply briefly", dependsOn: ["time", "sum"]),
            ])
        #expect(plan.answerStep.id == "final")
    }

    @Test func parse_acceptsSingleAnswerStepAndEmptyGoal() throws {
        let plan = try Self.parse(#"{"goal": "", "steps": [{"id": "a", "kind": "answer"}]}"#)
        #expect(plan == Plan.directAnswer(goal: "").withAnswerID("a"))
    }

    @Test func parse_answerStepMayComeFirst() throws {
        let plan = try Self.parse(
            #"{"goal": "g", "steps": [{"id": "z", "kind": "answer"}, {"id": "a", "kind": "tool", "tool": "clock"}]}"#)
        #expect(plan.layers.map { $0.map(\.id) } == [["a"], ["z"]])
    }

    @Test func json_roundTripsThroughTheParser() throws {
        let plan = try Self.parse(Self.plainPlan)
        let data = try JSONEncoder().encode(plan.json)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(try Self.parse(text) == plan)
    }
}

extension Plan {
    fileprivate func withAnswerID(_ id: String) -> Plan {
        Plan(
            goal: goal,
            steps: steps.map { step in
                var step = step
                if step.kind == .answer { step.id = id }
                return step
            })
    }
}
