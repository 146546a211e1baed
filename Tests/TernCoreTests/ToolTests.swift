import Testing

@testable import TernCore

struct ToolTests {
    static let names: [(String, Bool)] = [
        ("clock", true), ("web_search", true), ("mcp-github_list-issues", true), ("A1", true),
        (String(repeating: "x", count: 64), true), (String(repeating: "x", count: 65), false),
        ("", false), ("web search", false), ("web.search", false), ("café", false), ("tool/x", false),
        ("ｘ", false),
    ]

    @Test(arguments: names)
    func isValidName_matchesThePattern(_ name: String, _ valid: Bool) {
        #expect(ToolSpec.isValidName(name) == valid)
    }

    @Test func init_rejectsInvalidName() {
        #expect(throws: ToolError.invalidSpec(name: "web search", reason: "name must match ^[a-zA-Z0-9_-]{1,64}$")) {
            try ToolSpec(name: "web search", description: "", risk: .read)
        }
        #expect(
            ToolError.invalidSpec(name: "a b", reason: "r").description == #"tool "a b": invalid spec: r"#)
    }

    @Test func init_rejectsNonObjectSchema() {
        #expect(throws: ToolError.invalidSpec(name: "t", reason: "input schema must be a JSON object")) {
            try ToolSpec(name: "t", description: "", inputSchema: .array([]), risk: .read)
        }
        #expect(throws: ToolError.invalidSpec(name: "t", reason: "input schema must have type \"object\"")) {
            try ToolSpec(name: "t", description: "", inputSchema: json(#"{"type": "string"}"#), risk: .read)
        }
    }

    @Test func risk_isOrdered() {
        #expect(ToolRisk.allCases.sorted() == [.read, .write, .external, .dangerous])
        #expect(ToolRisk.external > .write)
    }

    @Test func errors_describeToolAndProblem() {
        let violations = [
            SchemaViolation(path: "$.city", message: "expected string, got number"),
            SchemaViolation(path: "$", message: #"missing required property "days""#),
        ]
        #expect(
            ToolError.invalidInput(tool: "weather", violations: violations).description
                == #"tool "weather": invalid input: $.city: expected string, got number; $: missing required property "days""#)
        #expect(ToolError.timedOut(tool: "w", after: .seconds(30)).description == #"tool "w": timed out after 30s"#)
        #expect(
            ToolError.timedOut(tool: "w", after: .milliseconds(1500)).description
                == #"tool "w": timed out after 1500ms"#)
        #expect(
            ToolError.notAllowed(tool: "shell", reason: "outside the skill's tools").description
                == #"tool "shell": not allowed: outside the skill's tools"#)
    }

    struct Echo: Tool {
        let spec: ToolSpec
        func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
            .text("\(context.contextID): \(input["city"]?.stringValue ?? "")")
        }
    }

    @Test func validatedCall_checksInputBeforeCalling() async throws {
        let tool = Echo(
            spec: try ToolSpec(
                name: "echo", description: "Echoes the city.",
                inputSchema: json(#"{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}"#),
                risk: .read))
        let context = ToolContext(contextID: "ctx", userID: "u")
        #expect(try await tool.validatedCall(json(#"{"city": "Oslo"}"#), in: context) == .text("ctx: Oslo"))
        await #expect(
            throws: ToolError.invalidInput(
                tool: "echo", violations: [SchemaViolation(path: "$.city", message: "expected string, got number")])
        ) {
            try await tool.validatedCall(json(#"{"city": 1}"#), in: context)
        }
        #expect(tool.spec.definition.name == "echo")
    }
}
