import Yams
import TernConfigFiles
import TernCore

/// Walks a composed `tools.yaml`, collecting every problem instead of stopping at the first.
struct ToolsFileParser {
    /// Problems found so far, in file order.
    private(set) var problems: YAMLProblems
    private var settingsBudget = ToolsFile.settingsNodeLimit

    /// A parser reporting problems under `file`.
    init(file: String) {
        problems = YAMLProblems(file: file)
    }

    /// The parsed file; meaningful only when ``problems`` stays empty.
    mutating func parse(_ yaml: String) -> ToolsFile {
        var result = ToolsFile()
        guard let mapping = problems.rootMapping(of: yaml, mustBe: YAMLProblems.mapping(withKeys: ToolsFile.topLevelKeys))
        else { return result }
        for (key, value) in mapping {
            switch key.scalar?.string {
            case "default_permission":
                if let permission = permission(value) { result.defaultPermission = permission }
            case "require_approval":
                result.requireApproval = toolNames(value, key: "require_approval")
            case "tools":
                result.tools = tools(value)
            default:
                problems.unknownKey(key, expected: ToolsFile.topLevelKeys)
            }
        }
        return result
    }

    private mutating func permission(_ node: Node) -> ToolPermission? {
        guard let text = node.scalar?.string, let permission = ToolPermission(rawValue: text) else {
            let got = node.scalar.map { "'\($0.string)'" } ?? "a \(YAMLReader.typeName(of: node))"
            problems.report(node, "default_permission must be allow or deny; got \(got)")
            return nil
        }
        return permission
    }

    private mutating func toolNames(_ node: Node, key: String) -> Set<String> {
        if node.null != nil { return [] }
        guard let sequence = problems.sequence(node, key, mustBe: "a list of tool names, like [shell]") else { return [] }
        var names: Set<String> = []
        for element in sequence {
            guard let name = element.scalar?.string, element.null == nil, ToolSpec.isValidName(name) else {
                problems.report(
                    element, "\(key): \(YAMLReader.describe(element)) is not a valid tool name (\(Self.namePattern))")
                continue
            }
            names.insert(name)
        }
        return names
    }

    private mutating func tools(_ node: Node) -> [String: ToolsFile.Entry] {
        if node.null != nil { return [:] }
        guard let mapping = problems.mapping(node, "tools", mustBe: "a mapping of tool name to settings") else { return [:] }
        var tools: [String: ToolsFile.Entry] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string, ToolSpec.isValidName(name) else {
                problems.report(key, "tools: \(YAMLReader.describe(key)) is not a valid tool name (\(Self.namePattern))")
                continue
            }
            tools[name] = entry(value, tool: name)
        }
        return tools
    }

    private mutating func entry(_ node: Node, tool: String) -> ToolsFile.Entry {
        var entry = ToolsFile.Entry()
        let path = "tools.\(tool)"
        if node.null != nil { return entry }
        guard let mapping = problems.mapping(node, path, mustBe: YAMLProblems.mapping(withKeys: ToolsFile.entryKeys))
        else { return entry }
        for (key, value) in mapping {
            switch key.scalar?.string {
            case "enabled":
                if let enabled = problems.bool(value, "\(path).enabled") { entry.enabled = enabled }
            case "settings":
                entry.settings = settings(value, tool: tool)
            default:
                problems.unknownKey(key, in: path, expected: ToolsFile.entryKeys)
            }
        }
        return entry
    }

    private mutating func settings(_ node: Node, tool: String) -> [String: JSONValue] {
        if node.null != nil { return [:] }
        guard problems.mapping(node, "tools.\(tool).settings", mustBe: "a mapping") != nil else { return [:] }
        guard let value = YAMLReader.jsonValue(node, budget: &settingsBudget), let object = value.objectValue else {
            problems.report(
                node, "tools.\(tool).settings: more than \(ToolsFile.settingsNodeLimit) values in the file's settings")
            return [:]
        }
        return object
    }

    private static let namePattern = "expected letters, digits, '_' or '-', at most 64"
}
