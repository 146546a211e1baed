import Foundation
package import TernCore
package import Yams

/// Shared YAML handling for `tools.yaml` and skill frontmatter: composing with line numbers
/// that point into the enclosing file, and turning nodes into ``JSONValue``.
package enum YAMLReader {
    /// YAML that does not parse, with the 1-based line in the enclosing file when known.
    package struct SyntaxError: Error, Equatable, Sendable {
        /// 1-based line in the enclosing file.
        package var line: Int?
        /// What libyaml says, without the snippet of the document (which may be long).
        package var message: String
    }

    /// The root node of `text`, or `nil` for an empty document (only blanks and comments).
    /// - Parameter lineOffset: lines before `text` in its file (1 for frontmatter after `---`).
    /// - Throws: ``SyntaxError`` with the file line of the problem.
    package static func compose(_ text: String, lineOffset: Int = 0) throws(SyntaxError) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, in: text, lineOffset: lineOffset)
        } catch {
            throw SyntaxError(line: nil, message: "\(error)")
        }
    }

    /// A value for a message: `'text'` for a scalar, `a mapping` / `a sequence` / `a null` otherwise.
    package static func describe(_ node: Node) -> String {
        if let scalar = node.scalar, node.null == nil { return "'\(scalar.string)'" }
        return "a \(typeName(of: node))"
    }

    /// The 1-based line of `node` in the enclosing file.
    package static func line(of node: Node, lineOffset: Int = 0) -> Int? {
        node.mark.map { $0.line + lineOffset }
    }

    /// `node` as JSON: mappings become objects (keys as text), sequences arrays, and scalars
    /// by their resolved YAML tag: null, bool, int and float become JSON null, booleans and
    /// numbers; everything else (including quoted `"true"` and timestamps) a string.
    ///
    /// - Parameter budget: how many more nodes may be converted; decremented per node, so
    ///   aliases (`&a`/`*a`) cannot expand a small file into a huge value.
    /// - Returns: `nil` when the budget runs out.
    package static func jsonValue(_ node: Node, budget: inout Int) -> JSONValue? {
        budget -= 1
        guard budget >= 0 else { return nil }
        switch node {
        case .scalar(let scalar):
            switch tagName(node) {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case .int: return node.int.map { .number(Double($0)) } ?? .string(scalar.string)
            case .float: return node.float.map(JSONValue.number) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let converted = jsonValue(value, budget: &budget) else { return nil }
                object[key.string ?? "\(key)"] = converted
            }
            return .object(object)
        case .sequence(let sequence):
            var array: [JSONValue] = []
            for element in sequence {
                guard let converted = jsonValue(element, budget: &budget) else { return nil }
                array.append(converted)
            }
            return .array(array)
        case .alias:
            // Yams resolves aliases while composing; an unresolved one carries no value.
            return .null
        }
    }

    /// The resolved tag of `node` (`tag:yaml.org,2002:int`, …), comparable with `Tag.Name`
    /// constants such as `.int`.
    package static func tagName(_ node: Node) -> Tag.Name {
        Tag.Name(rawValue: node.tag.rawValue)
    }

    /// A human-readable type for messages: `mapping`, `list`, or the scalar's YAML type.
    package static func typeName(of node: Node) -> String {
        switch node {
        case .mapping: "mapping"
        case .sequence: "list"
        case .alias: "alias"
        case .scalar:
            switch tagName(node) {
            case .null: "null"
            case .bool: "boolean"
            case .int, .float: "number"
            default: "string"
            }
        }
    }

    /// The string of a plain or quoted scalar that is not null, bool or a number; `nil` otherwise.
    package static func string(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node else { return nil }
        switch tagName(node) {
        case .null, .bool, .int, .float: return nil
        default: return scalar.string
        }
    }

    private static func syntaxError(_ error: YamlError, in text: String, lineOffset: Int) -> SyntaxError {
        func describe(_ context: YamlError.Context?, _ problem: String, _ mark: Mark) -> SyntaxError {
            var message = problem
            if let context {
                message = "\(context.text) (from line \(context.mark.line + lineOffset)): \(problem)"
            }
            return SyntaxError(line: mark.line + lineOffset, message: message)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return describe(context, problem, mark)
        case .reader(let problem, let offset, _, _):
            let line = offset.map { offset in
                text.utf8.prefix(offset).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            }
            return SyntaxError(line: line.map { $0 + lineOffset }, message: problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return SyntaxError(line: context.mark.line + lineOffset, message: "duplicate key \(keys)")
        default:
            return SyntaxError(line: nil, message: "\(error)")
        }
    }
}
