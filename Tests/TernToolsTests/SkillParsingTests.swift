import Testing
import TernCore
import TernTools

/// One skill file, how it is laid out, and what loading it must give.
struct SkillCase: Sendable, CustomTestStringConvertible {
    enum Outcome: Sendable {
        case skill(Skill)
        /// (line, message fragment) of each issue, in order.
        case issues([(Int?, String)])
    }

    var label: String
    var text: String
    var form: SkillLoader.Form = .folder
    var expectedName = "trip"
    var outcome: Outcome

    var testDescription: String { label }
}

@Suite struct SkillParsingTests {
    static let known: Set<String> = ["calculator", "clock"]
    static let file = "/skills/trip/SKILL.md"

    static let cases: [SkillCase] = [
        SkillCase(
            label: "good folder skill",
            text: """
                ---
                name: trip
                description: Plans trips with dates and sums.
                allowed-tools: clock, calculator
                license: MIT
                metadata:
                  model: big-model
                  max-turns: 8
                  author: someone
                ---

                # Trip

                Ask the clock first.

                """,
            outcome: .skill(
                Skill(
                    name: "trip", description: "Plans trips with dates and sums.", allowedTools: ["clock", "calculator"],
                    model: "big-model", maxTurns: 8, instructions: "# Trip\n\nAsk the clock first.", source: file))),
        SkillCase(
            label: "good flat skill, name from the file",
            text: "---\ndescription: Does sums.\ntools:\n  - calculator\n  - calculator\nmetadata:\n  max-turns: \"3\"\n---\nAdd up.",
            form: .flat, expectedName: "sums",
            outcome: .skill(
                Skill(
                    name: "sums", description: "Does sums.", allowedTools: ["calculator"], maxTurns: 3,
                    instructions: "Add up.", source: file))),
        SkillCase(
            label: "CRLF line ends and allowed-tools in a flat skill",
            text: "---\r\nname: crlf\r\ndescription: Windows.\r\nallowed-tools: [clock]\r\n---\r\nBody\r\n",
            form: .flat, expectedName: "crlf",
            outcome: .skill(
                Skill(
                    name: "crlf", description: "Windows.", allowedTools: ["clock"], instructions: "Body", source: file))),
        SkillCase(
            label: "missing name", text: "---\ndescription: Plans.\n---\nBody",
            outcome: .issues([(1, "missing required key 'name'")])),
        SkillCase(
            label: "name differs from folder", text: "---\ndescription: Plans.\nname: other\n---\n",
            outcome: .issues([(3, "name 'other' does not match the folder name 'trip'")])),
        SkillCase(
            label: "name differs from file", text: "---\nname: other\ndescription: Plans.\n---\n", form: .flat,
            outcome: .issues([(2, "name 'other' does not match the file name 'trip'")])),
        SkillCase(
            label: "invalid name", text: "---\nname: Trip--Plan\ndescription: Plans.\n---\n", expectedName: "Trip--Plan",
            outcome: .issues([(2, "invalid name 'Trip--Plan'")])),
        SkillCase(
            label: "bad YAML", text: "---\nname: trip\ndescription: Plans.\nallowed-tools: [clock\n---\nBody",
            outcome: .issues([(5, "invalid YAML in frontmatter")])),
        SkillCase(
            label: "bad YAML mapping", text: "---\nname: trip\ndescription: a: b\n---\n",
            outcome: .issues([(3, "invalid YAML in frontmatter: mapping values are not allowed")])),
        SkillCase(
            label: "unknown tool in allowed-tools list",
            text: "---\nname: trip\ndescription: Plans.\nallowed-tools:\n  - clock\n  - shell\n---\n",
            outcome: .issues([(6, "allowed-tools names unknown tool 'shell'; known: calculator, clock")])),
        SkillCase(
            label: "MCP tools are allowed before their server answers",
            text: "---\nname: trip\ndescription: Plans.\nallowed-tools: [clock, time__get_current_time]\n---\nBody",
            outcome: .skill(
                Skill(
                    name: "trip", description: "Plans.", allowedTools: ["clock", "time__get_current_time"],
                    instructions: "Body", source: file))),
        SkillCase(
            label: "a name that only looks like an MCP tool",
            text: "---\nname: trip\ndescription: Plans.\nallowed-tools: [tern_x__y, __y, x__]\n---\n",
            outcome: .issues([(4, "unknown tool 'tern_x__y'"), (4, "unknown tool '__y'"), (4, "unknown tool 'x__'")])),
        SkillCase(
            label: "unknown tool in allowed-tools string",
            text: "---\nname: trip\ndescription: Plans.\nallowed-tools: clock Bash(git:*)\n---\n",
            outcome: .issues([(4, "unknown tool 'Bash(git:*)'")])),
        SkillCase(
            label: "missing description", text: "---\nname: trip\n---\nBody",
            outcome: .issues([(1, "missing required key 'description'")])),
        SkillCase(
            label: "blank description", text: "---\nname: trip\ndescription: '  '\n---\n",
            outcome: .issues([(3, "description must be a non-empty string")])),
        SkillCase(
            label: "missing name and description together", text: "---\nlicense: MIT\n---\n",
            outcome: .issues([(1, "missing required key 'name'"), (1, "missing required key 'description'")])),
        SkillCase(
            label: "empty frontmatter", text: "---\n---\nBody",
            outcome: .issues([(1, "missing required key 'name'"), (1, "missing required key 'description'")])),
        SkillCase(
            label: "unterminated frontmatter", text: "---\nname: trip\ndescription: Plans.\n",
            outcome: .issues([(1, "unterminated frontmatter")])),
        SkillCase(
            label: "missing frontmatter", text: "# Trip\n---\nname: trip\n---\n",
            outcome: .issues([(1, "missing frontmatter")])),
        SkillCase(
            label: "frontmatter not a mapping", text: "---\n- trip\n---\n",
            outcome: .issues([(2, "frontmatter must be a mapping")])),
        SkillCase(
            label: "bad max-turns", text: "---\nname: trip\ndescription: Plans.\nmetadata:\n  max-turns: 0\n---\n",
            outcome: .issues([(5, "metadata.max-turns must be a positive whole number; got '0'")])),
        SkillCase(
            label: "metadata not a mapping", text: "---\nname: trip\ndescription: Plans.\nmetadata: fast\n---\n",
            outcome: .issues([(4, "metadata must be a mapping; got a string")])),
        SkillCase(
            label: "both tool keys", text: "---\nname: trip\ndescription: Plans.\ntools: [clock]\nallowed-tools: [clock]\n---\n",
            outcome: .issues([(5, "give either 'allowed-tools' or 'tools', not both")])),
    ]

    @Test(arguments: cases)
    func parse_loadsOrReportsWithFileLine(_ testCase: SkillCase) {
        let result = SkillLoader().parse(
            testCase.text, file: Self.file, expectedName: testCase.expectedName, form: testCase.form,
            knownTools: Self.known)
        switch testCase.outcome {
        case .skill(let skill):
            #expect(result == SkillLoadResult(skills: [skill]))
        case .issues(let expected):
            #expect(result.skills.isEmpty)
            #expect(result.issues.count == expected.count, "\(result.issues)")
            for (issue, (line, message)) in zip(result.issues, expected) {
                #expect(issue.file == Self.file)
                #expect(issue.line == line, "\(issue)")
                #expect(issue.message.contains(message), "\(issue)")
            }
        }
    }
}
