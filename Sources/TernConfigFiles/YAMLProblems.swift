package import TernCore
package import Yams

/// The problems a parser finds while it walks one YAML text (a `tools.yaml`, an `mcp.yaml`, a
/// skill's frontmatter), and the checks those parsers share, so that every file reports the
/// same mistakes in the same words, each at its line: `file:line: message`.
///
/// Parsers keep walking after a problem, so one run reports them all.
package struct YAMLProblems: Sendable {
    /// The file problems are reported under, usually its path.
    package let file: String
    /// Lines in the file before the YAML text (1 for frontmatter after `---`).
    package let lineOffset: Int
    /// Every problem so far, in the order found.
    package private(set) var all: [FileProblem] = []

    /// An empty report for the YAML text of `file`, starting `lineOffset` lines into it.
    package init(file: String, lineOffset: Int = 0) {
        self.file = file
        self.lineOffset = lineOffset
    }

    /// Whether nothing was reported.
    package var isEmpty: Bool { all.isEmpty }

    /// How many problems were reported.
    package var count: Int { all.count }

    /// The 1-based line of `node` in the file.
    package func line(of node: Node) -> Int? {
        YAMLReader.line(of: node, lineOffset: lineOffset)
    }

    /// Reports `message` at the line of `node`.
    package mutating func report(_ node: Node, _ message: String) {
        report(line(of: node), message)
    }

    /// Reports `message` at `line` (`nil`: the whole file).
    package mutating func report(_ line: Int?, _ message: String) {
        all.append(FileProblem(file: file, line: line, message: message))
    }

    /// The root of `yaml` as a mapping: empty for an empty document (only blanks and comments,
    /// or `---` alone); `nil` after reporting YAML that does not parse
    /// (`<invalidYAML>: <what is wrong>`) or a root that is not a mapping
    /// (`<name> must be <expected>; got a <type>`).
    package mutating func rootMapping(
        of yaml: String, named name: String = "the top level", mustBe expected: String,
        invalidYAML: String = "invalid YAML"
    ) -> Node.Mapping? {
        let root: Node?
        do throws(YAMLReader.SyntaxError) {
            root = try YAMLReader.compose(yaml, lineOffset: lineOffset)
        } catch {
            report(error.line, "\(invalidYAML): \(error.message)")
            return nil
        }
        guard let root, root.null == nil else { return Node.Mapping([]) }
        return mapping(root, name, mustBe: expected)
    }

    /// `node` as a mapping, or `nil` after reporting `<name> must be <expected>; got a <type>`.
    package mutating func mapping(_ node: Node, _ name: String, mustBe expected: String) -> Node.Mapping? {
        guard let mapping = node.mapping else {
            wrongKind(node, name, mustBe: expected)
            return nil
        }
        return mapping
    }

    /// `node` as a list, or `nil` after reporting `<name> must be <expected>; got a <type>`.
    package mutating func sequence(_ node: Node, _ name: String, mustBe expected: String) -> Node.Sequence? {
        guard let sequence = node.sequence else {
            wrongKind(node, name, mustBe: expected)
            return nil
        }
        return sequence
    }

    /// Reports that `node` is of the wrong kind: `<name> must be <expected>; got a <type>`.
    package mutating func wrongKind(_ node: Node, _ name: String, mustBe expected: String) {
        report(node, "\(name) must be \(expected); got a \(YAMLReader.typeName(of: node))")
    }

    /// `node` as a YAML boolean (`true`, `false`; not the text `'true'`), or `nil` after
    /// reporting `<name> must be true or false; got <value>`.
    package mutating func bool(_ node: Node, _ name: String) -> Bool? {
        guard YAMLReader.tagName(node) == .bool, let value = node.bool else {
            report(node, "\(name) must be true or false; got \(YAMLReader.describe(node))")
            return nil
        }
        return value
    }

    /// Reports `key` as unknown: `[<path>: ]unknown key 'key'; expected one of <keys>`.
    package mutating func unknownKey(_ key: Node, in path: String? = nil, expected keys: [String]) {
        let message = "unknown key \(YAMLReader.describe(key)); expected one of \(keys.joined(separator: ", "))"
        report(key, path.map { "\($0): \(message)" } ?? message)
    }

    /// `a mapping with keys a, b, c`, for ``mapping(_:_:mustBe:)``.
    package static func mapping(withKeys keys: [String]) -> String {
        "a mapping with keys \(keys.joined(separator: ", "))"
    }
}
