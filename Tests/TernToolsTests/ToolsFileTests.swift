import Foundation
import TernConfigFiles
import Testing
import TernCore
import TernTools

@Suite struct ToolsFileTests {
    @Test func parse_readsEveryKey() throws {
        let yaml = """
            # Built-in tools.
            default_permission: deny
            require_approval: [shell, web_fetch]
            tools:
              calculator:
                enabled: false
              clock:
                settings: {timezone: Europe/Berlin, nested: {list: [1, 2.5, true, null, "yes", 2024-01-01]}}
              web_fetch:
            """
        let file = try ToolsFile.parse(yaml, file: "tools.yaml")
        let nested: JSONValue = .object([
            "list": .array([.number(1), .number(2.5), .bool(true), .null, .string("yes"), .string("2024-01-01")])
        ])
        #expect(
            file
                == ToolsFile(
                    defaultPermission: .deny, requireApproval: ["shell", "web_fetch"],
                    tools: [
                        "calculator": .init(enabled: false),
                        "clock": .init(settings: ["timezone": .string("Europe/Berlin"), "nested": nested]),
                        "web_fetch": .init(),
                    ]))
        #expect(file.disabledTools == ["calculator"])
        #expect(file.settings(for: "clock")["timezone"] == .string("Europe/Berlin"))
        #expect(file.settings(for: "unlisted") == [:])
    }

    @Test(arguments: ["", "# nothing here\n", "---\n", "tools:\nrequire_approval:\n"])
    func parse_emptyFileMeansDefaults(_ yaml: String) throws {
        #expect(try ToolsFile.parse(yaml, file: "tools.yaml") == ToolsFile())
    }

    /// Bad files and the (line, message fragment) of each problem, in file order.
    static let bad: [(String, [(Int?, String)])] = [
        ("colour: red", [(1, "unknown key 'colour'; expected one of default_permission, require_approval, tools")]),
        ("default_permission: maybe", [(1, "default_permission must be allow or deny; got 'maybe'")]),
        ("default_permission: [allow]", [(1, "default_permission must be allow or deny; got a list")]),
        ("tools:\n  calculator:\n    enabled: sometimes", [(3, "tools.calculator.enabled must be true or false; got 'sometimes'")]),
        ("tools:\n  calculator:\n    enabled: 'true'", [(3, "tools.calculator.enabled must be true or false")]),
        ("tools:\n  web search: {}", [(2, "tools: 'web search' is not a valid tool name")]),
        ("tools:\n  clock: on", [(2, "tools.clock must be a mapping with keys enabled, settings; got a boolean")]),
        ("tools:\n  clock:\n    settings: [a]", [(3, "tools.clock.settings must be a mapping; got a list")]),
        ("tools:\n  clock:\n    setings: {}", [(3, "tools.clock: unknown key 'setings'; expected one of enabled, settings")]),
        ("tools: [calculator]", [(1, "tools must be a mapping of tool name to settings; got a list")]),
        ("require_approval: shell", [(1, "require_approval must be a list of tool names, like [shell]; got a string")]),
        ("require_approval:\n  - shell\n  - 'rm -rf'", [(3, "require_approval: 'rm -rf' is not a valid tool name")]),
        ("- a\n- b", [(1, "the top level must be a mapping")]),
        ("tools:\n  clock: {settings: {a: 1}\n", [(3, "invalid YAML: ")]),
        ("tools: {}\ntools: {}", [(1, "invalid YAML: duplicate key 'tools'")]),
        (
            "colour: red\ndefault_permission: maybe\ntools:\n  bad name:\n",
            [(1, "unknown key 'colour'"), (2, "default_permission must be"), (4, "'bad name' is not a valid tool name")]
        ),
    ]

    @Test(arguments: bad)
    func parse_reportsEveryProblemWithItsLine(_ yaml: String, _ expected: [(Int?, String)]) {
        #expect {
            try ToolsFile.parse(yaml, file: "config/tools.yaml")
        } throws: { error in
            guard let error = error as? ToolsFileError else { return false }
            #expect(error.problems.count == expected.count, "\(error)")
            for (problem, (line, message)) in zip(error.problems, expected) {
                #expect(problem.file == "config/tools.yaml")
                #expect(problem.line == line, "\(problem)")
                #expect(problem.message.contains(message), "\(problem)")
            }
            return true
        }
    }

    @Test func parse_describesProblemsWithFileAndLine() {
        let error = ToolsFileError(problems: [
            .init(file: "tools.yaml", line: 2, message: "bad"), .init(file: "tools.yaml", line: nil, message: "worse"),
        ])
        #expect(error.description == "tools.yaml:2: bad\ntools.yaml: worse")
    }

    @Test func parse_limitsAliasExpansionInSettings() {
        let yaml = """
            tools:
              clock:
                settings:
                  l0: &l0 [x, x, x, x, x, x, x, x, x, x]
                  l1: &l1 [*l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0]
                  l2: &l2 [*l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1]
                  l3: [*l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2]
            """
        #expect {
            try ToolsFile.parse(yaml, file: "tools.yaml")
        } throws: { error in
            (error as? ToolsFileError)?.problems.first?.message.contains("more than 10000 values") == true
        }
    }

    @Test func load_readsTheFileAndNamesMissingOnes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-tools-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tools.yaml").path
        try "require_approval: [shell]\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try ToolsFile.load(path: path) == ToolsFile(requireApproval: ["shell"]))

        let missing = directory.appendingPathComponent("absent.yaml").path
        #expect {
            try ToolsFile.load(path: missing)
        } throws: { error in
            let problems = (error as? ToolsFileError)?.problems ?? []
            return problems.count == 1 && problems[0].file == missing && problems[0].message.hasPrefix("cannot read")
        }
    }
}
