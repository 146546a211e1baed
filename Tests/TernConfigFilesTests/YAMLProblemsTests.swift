import Foundation
import Testing
import TernConfigFiles
import TernCore
import Yams

/// The checks `tools.yaml`, `mcp.yaml` and skill frontmatter share: each problem names the file,
/// the line in the file (after any lines before the YAML) and what was expected.
@Suite struct YAMLProblemsTests {
    /// Runs `body` on a fresh report for `a.yaml` and returns what it reported.
    private func reported(lineOffset: Int = 0, _ body: (inout YAMLProblems) -> Void) -> [String] {
        var problems = YAMLProblems(file: "a.yaml", lineOffset: lineOffset)
        body(&problems)
        return problems.all.map(\.description)
    }

    @Test(arguments: ["", "# only a comment\n", "---\n", "~\n"])
    func rootMapping_emptyDocumentIsAnEmptyMapping(_ yaml: String) {
        var problems = YAMLProblems(file: "a.yaml")
        let mapping = problems.rootMapping(of: yaml, mustBe: "a mapping with keys x")
        #expect(mapping?.count == 0)
        #expect(problems.isEmpty)
    }

    @Test func rootMapping_reportsBadYAMLAtItsFileLine() {
        let found = reported(lineOffset: 1) { problems in
            #expect(problems.rootMapping(of: "a: 1\nb: [1, 2\n", mustBe: "a mapping", invalidYAML: "invalid YAML here") == nil)
        }
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("a.yaml:4: invalid YAML here: ") == true, "\(found)")
    }

    @Test func rootMapping_reportsAnotherKindOfRoot() {
        let found = reported { problems in
            #expect(problems.rootMapping(of: "- a\n- b\n", mustBe: YAMLProblems.mapping(withKeys: ["x", "y"])) == nil)
        }
        #expect(found == ["a.yaml:1: the top level must be a mapping with keys x, y; got a list"])
    }

    @Test func bool_acceptsOnlyYAMLBooleans() throws {
        let root = try #require(try Yams.compose(yaml: "a: true\nb: 'true'\nc: maybe\n")?.mapping)
        var values: [Bool?] = []
        let found = reported { problems in
            values = ["a", "b", "c"].map { problems.bool(root[$0]!, "x.\($0)") }
        }
        #expect(values == [true, nil, nil])
        #expect(found == ["a.yaml:2: x.b must be true or false; got 'true'", "a.yaml:3: x.c must be true or false; got 'maybe'"])
    }

    @Test func unknownKey_namesThePathAndTheKnownKeys() throws {
        let root = try #require(try Yams.compose(yaml: "colour: red\n[a]: 1\n")?.mapping)
        let found = reported(lineOffset: 2) { problems in
            for key in root.keys { problems.unknownKey(key, in: key.scalar == nil ? "servers.x" : nil, expected: ["a", "b"]) }
        }
        #expect(
            found == [
                "a.yaml:3: unknown key 'colour'; expected one of a, b",
                "a.yaml:4: servers.x: unknown key a list; expected one of a, b",
            ])
    }

    @Test func sequenceAndMapping_reportTheWrongKind() throws {
        let root = try #require(try Yams.compose(yaml: "list: {a: 1}\nmap: [1]\n")?.mapping)
        let found = reported { problems in
            #expect(problems.sequence(root["list"]!, "list", mustBe: "a list of names") == nil)
            #expect(problems.mapping(root["map"]!, "map", mustBe: "a mapping of name to value") == nil)
            #expect(problems.sequence(root["map"]!, "map", mustBe: "a list")?.count == 1)
        }
        #expect(
            found == [
                "a.yaml:1: list must be a list of names; got a mapping",
                "a.yaml:2: map must be a mapping of name to value; got a list",
            ])
    }

    @Test func readText_namesAFileItCannotRead() {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("tern-\(UUID().uuidString).yaml").path
        #expect {
            try ConfigFileError.readText(of: missing)
        } throws: { error in
            let problems = (error as? ConfigFileError)?.problems ?? []
            return problems.count == 1 && problems[0].file == missing && problems[0].line == nil
                && problems[0].message.hasPrefix("cannot read: ")
        }
    }
}
