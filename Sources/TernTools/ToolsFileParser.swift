import Yams
import TernConfigFiles
import TernCore

/// Walks a composed `tools.yaml`, collecting every problem instead of stopping at the first.
struct ToolsFileParser {
    /// The name problems are reported under.
    let file: String
    /// Problems found so far, in file order.
    private(set) var problems: [ToolsFileError.Problem] = []
    private var settingsBudget = ToolsFile.settingsNodeLimit

    /// A parser reporting problems under `file`.
    init(file: String) {
        self.file = file
    }

    /// The parsed file; meaningful only when ``problems`` stays empty.
    mutating func parse(_ yaml: String) -> ToolsFile {
        var result = ToolsFile()
        let root: Node?
        do throws(YAMLReader.SyntaxError) {
            root = try YAMLReader.compose(yaml)
        } catch {
            report(error.line, "invalid YAML: \(error.message)")
            return result
        }
        // No document, or an explicit empty one (`---` alone): the defaults.
        guard let root, root.null == nil else { return result }
        guard let mapping = root.mapping else {
            report(root, "the top level must be a mapping with keys \(Self.list(ToolsFile.topLevelKeys)); "
                + "got a \(YAMLReader.typeName(of: root))")
            return result
        }
        for (key, value) in mapping {
            switch key.scalar?.string {
            case "default_permission":
                if let permission = permission(value) { result.defaultPermission = permission }
            case "require_approval":
                result.requireApproval = toolNames(value, key: "require_approval")
            case "tools":
                result.tools = tools(value)
            default:
                report(key, "unknown key '\(key.scalar?.string ?? YAMLReader.typeName(of: key))'; "
                    + "expected one of \(Self.list(ToolsFile.topLevelKeys))")
            }
        }
        return result
    }

    private mutating func permission(_ node: Node) -> ToolPermission? {
        guard let text = node.scalar?.string, let permission = ToolPermission(rawValue: text) else {
            let got = node.scalar.map { "'\($0.string)'" } ?? "a \(YAMLReader.typeName(of: node))"
            report(node, "default_permission must be allow or deny; got \(got)")
            return nil
        }
        return permission
    }

    private mutating func toolNames(_ node: Node, key: String) -> Set<String> {
        if node.null != nil { return [] }
        guard let sequence = node.sequence else {
            report(node, "\(key) must be a list of tool names, like [shell]; got a \(YAMLReader.typeName(of: node))")
            return []
        }
        var names: Set<String> = []
        for element in sequence {
            guard let name = element.scalar?.string, element.null == nil, ToolSpec.isValidName(name) else {
                report(element, "\(key): \(YAMLReader.describe(element)) is not a valid tool name (\(Self.namePattern))")
                continue
            }
            names.insert(name)
        }
        return names
    }

    private mutating func tools(_ node: Node) -> [String: ToolsFile.Entry] {
        if node.null != nil { return [:] }
        guard let mapping = node.mapping else {
            report(node, "tools must be a mapping of tool name to settings; got a \(YAMLReader.typeName(of: node))")
            return [:]
        }
        var tools: [String: ToolsFile.Entry] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string, ToolSpec.isValidName(name) else {
                report(key, "tools: \(YAMLReader.describe(key)) is not a valid tool name (\(Self.namePattern))")
                continue
            }
            tools[name] = entry(value, tool: name)
        }
        return tools
    }

    private mutating func entry(_ node: Node, tool: String) -> ToolsFile.Entry {
        var entry = ToolsFile.Entry()
        if node.null != nil { return entry }
        guard let mapping = node.mapping else {
            report(node, "tools.\(tool) must be a mapping with keys \(Self.list(ToolsFile.entryKeys)); "
                + "got a \(YAMLReader.typeName(of: node))")
            return entry
        }
        for (key, value) in mapping {
            switch key.scalar?.string {
            case "enabled":
                if YAMLReader.tagName(value) == .bool, let enabled = value.bool {
                    entry.enabled = enabled
                } else {
                    report(value, "tools.\(tool).enabled must be true or false; got \(YAMLReader.describe(value))")
                }
            case "settings":
                entry.settings = settings(value, tool: tool)
            default:
                report(key, "tools.\(tool): unknown key \(YAMLReader.describe(key)); "
                    + "expected one of \(Self.list(ToolsFile.entryKeys))")
            }
        }
        return entry
    }

    private mutating func settings(_ node: Node, tool: String) -> [String: JSONValue] {
        if node.null != nil { return [:] }
        guard node.mapping != nil else {
            report(node, "tools.\(tool).settings must be a mapping; got a \(YAMLReader.typeName(of: node))")
            return [:]
        }
        guard let value = YAMLReader.jsonValue(node, budget: &settingsBudget), let object = value.objectValue else {
            report(node, "tools.\(tool).settings: more than \(ToolsFile.settingsNodeLimit) values in the file's settings")
            return [:]
        }
        return object
    }

    private static let namePattern = "expected letters, digits, '_' or '-', at most 64"

    private static func list(_ keys: [String]) -> String {
        keys.joined(separator: ", ")
    }

    private mutating func report(_ node: Node, _ message: String) {
        report(YAMLReader.line(of: node), message)
    }

    private mutating func report(_ line: Int?, _ message: String) {
        problems.append(ToolsFileError.Problem(file: file, line: line, message: message))
    }
}
