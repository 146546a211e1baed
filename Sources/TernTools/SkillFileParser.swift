import Foundation
import Yams
import TernConfigFiles
import TernCore

/// Turns the text of one skill file into a ``Skill``, collecting every problem with its file line.
struct SkillFileParser {
    /// The path reported in issues and stored as ``Skill/source``.
    let file: String
    /// The folder name (folder form) or file stem (flat form) the skill's name must equal.
    let expectedName: String
    /// Folder or flat: decides whether `name` is required.
    let form: SkillLoader.Form
    /// Stored in the skill.
    let scope: Skill.Scope
    /// The tools a skill's tool list may name.
    let knownTools: Set<String>
    /// Problems found; a skill is returned only when this stays empty.
    private(set) var problems: YAMLProblems

    /// A parser for the file at `file`.
    init(file: String, expectedName: String, form: SkillLoader.Form, scope: Skill.Scope, knownTools: Set<String>) {
        self.file = file
        self.expectedName = expectedName
        self.form = form
        self.scope = scope
        self.knownTools = knownTools
        problems = YAMLProblems(file: file, lineOffset: SkillFrontmatter.lineOffset)
    }

    /// The skill in `text`, or `nil` with ``problems`` saying why.
    mutating func parse(_ text: String) -> Skill? {
        let frontmatter: SkillFrontmatter
        do throws(SkillFrontmatter.Problem) {
            frontmatter = try SkillFrontmatter(splitting: text)
        } catch .missing {
            report(
                1,
                "missing frontmatter: the file must start with a '---' line, then YAML with name and "
                    + "description, then '---'")
            return nil
        } catch {
            report(1, "unterminated frontmatter: expected a closing '---' line after the YAML")
            return nil
        }
        guard
            let mapping = problems.rootMapping(
                of: frontmatter.yaml, named: "frontmatter", mustBe: "a mapping with name and description",
                invalidYAML: "invalid YAML in frontmatter")
        else { return nil }
        var fields: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            if let name = key.scalar?.string { fields[name] = (key, value) }
        }
        let name = self.name(fields["name"])
        let description = self.description(fields["description"])
        let tools = self.tools(fields)
        let (model, maxTurns) = metadata(fields["metadata"]?.value)
        guard problems.isEmpty, let name, let description else { return nil }
        return Skill(
            name: name, description: description, allowedTools: tools, model: model, maxTurns: maxTurns,
            instructions: frontmatter.body, source: file, scope: scope)
    }

    private mutating func name(_ field: (key: Node, value: Node)?) -> String? {
        let thing = form == .folder ? "folder" : "file"
        guard let field else {
            if form == .folder {
                report(1, "missing required key 'name' (the folder name, '\(expectedName)')")
                return nil
            }
            guard Skill.isValidName(expectedName) else {
                report(nil, "file name '\(expectedName)' is not a valid skill name: \(Self.nameRule)")
                return nil
            }
            return expectedName
        }
        guard let name = scalarText(field.value), !name.isEmpty else {
            report(line(field.value), "name must be a non-empty string")
            return nil
        }
        guard Skill.isValidName(name) else {
            report(line(field.value), "invalid name '\(name)': \(Self.nameRule)")
            return nil
        }
        guard name == expectedName else {
            report(line(field.value), "name '\(name)' does not match the \(thing) name '\(expectedName)'")
            return nil
        }
        return name
    }

    private mutating func description(_ field: (key: Node, value: Node)?) -> String? {
        guard let field else {
            report(1, "missing required key 'description' (what the skill does, for choosing it)")
            return nil
        }
        guard let text = scalarText(field.value), !text.allSatisfy(\.isWhitespace) else {
            report(line(field.value), "description must be a non-empty string")
            return nil
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `allowed-tools` or `tools`: a list, or one string of names separated by spaces or commas.
    private mutating func tools(_ fields: [String: (key: Node, value: Node)]) -> [String] {
        let given = ["allowed-tools", "tools"].compactMap { fields[$0] }
            .sorted { (line($0.key) ?? 0) < (line($1.key) ?? 0) }
        if given.count > 1 {
            report(line(given[1].key), "give either 'allowed-tools' or 'tools', not both")
            return []
        }
        guard let node = given.first?.value, node.null == nil else { return [] }
        var entries: [(name: String, line: Int?)] = []
        if let sequence = node.sequence {
            for element in sequence {
                guard let name = scalarText(element) else {
                    report(line(element), "allowed-tools: expected tool names, got a \(YAMLReader.typeName(of: element))")
                    continue
                }
                entries.append((name, line(element)))
            }
        } else if let text = scalarText(node) {
            let names = text.split(whereSeparator: { $0 == "," || $0.isWhitespace })
            entries = names.map { (String($0), line(node)) }
        } else {
            problems.wrongKind(node, "allowed-tools", mustBe: "a list or a space-separated string of tool names")
        }
        var tools: [String] = []
        for entry in entries where !tools.contains(entry.name) {
            if knownTools.contains(entry.name) || MCPServerName.isMCPToolName(entry.name) {
                tools.append(entry.name)
            } else {
                report(entry.line, "allowed-tools names unknown tool '\(entry.name)'\(knownList)")
            }
        }
        return tools
    }

    private mutating func metadata(_ node: Node?) -> (model: String?, maxTurns: Int?) {
        guard let node, node.null == nil else { return (nil, nil) }
        guard let mapping = problems.mapping(node, "metadata", mustBe: "a mapping") else {
            return (nil, nil)
        }
        var model: String?
        var maxTurns: Int?
        for (key, value) in mapping {
            switch key.scalar?.string {
            case "model":
                if let text = scalarText(value), !text.isEmpty {
                    model = text
                } else {
                    report(line(value), "metadata.model must be a non-empty string")
                }
            case "max-turns":
                // The Agent Skills format makes metadata values strings, so "10" counts too.
                if let text = value.scalar?.string, let number = Int(text), number > 0 {
                    maxTurns = number
                } else {
                    let got = value.scalar.map { "'\($0.string)'" } ?? "a \(YAMLReader.typeName(of: value))"
                    report(line(value), "metadata.max-turns must be a positive whole number; got \(got)")
                }
            default:
                continue  // Other metadata is for other tools.
            }
        }
        return (model, maxTurns)
    }

    private static let nameRule =
        "expected 1-64 lowercase letters, digits and '-', not starting or ending with '-', no '--'"

    private var knownList: String {
        guard !knownTools.isEmpty, knownTools.count <= 30 else { return "" }
        return "; known: " + knownTools.sorted().joined(separator: ", ")
    }

    /// The text of a scalar that is not null; numbers and booleans as written.
    private func scalarText(_ node: Node) -> String? {
        guard let scalar = node.scalar, node.null == nil else { return nil }
        return scalar.string
    }

    private func line(_ node: Node) -> Int? {
        problems.line(of: node)
    }

    private mutating func report(_ line: Int?, _ message: String) {
        problems.report(line, message)
    }
}
