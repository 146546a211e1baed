import Yams
import TernConfigFiles
import TernCore

/// Walks a composed `mcp.yaml`, collecting every problem instead of stopping at the first.
struct MCPConfigFileParser {
    /// Where `${NAME}` takes its values from.
    let environment: [String: String]
    /// Problems found so far, in the order found.
    private(set) var problems: YAMLProblems

    /// A parser reporting problems under `file`.
    init(file: String, environment: [String: String]) {
        problems = YAMLProblems(file: file)
        self.environment = environment
    }

    /// The servers in file order; meaningful only when ``problems`` stays empty.
    mutating func parse(_ yaml: String) -> [MCPServerDefinition] {
        let expected = YAMLProblems.mapping(withKeys: MCPConfigFile.topLevelKeys)
        guard let mapping = problems.rootMapping(of: yaml, mustBe: expected) else { return [] }
        var servers: [MCPServerDefinition] = []
        for (key, value) in mapping {
            switch key.scalar?.string {
            case "servers":
                servers = self.servers(value)
            default:
                problems.unknownKey(key, expected: MCPConfigFile.topLevelKeys)
            }
        }
        return servers
    }

    private mutating func servers(_ node: Node) -> [MCPServerDefinition] {
        if node.null != nil { return [] }
        guard let mapping = problems.mapping(node, "servers", mustBe: "a mapping of server name to server") else {
            return []
        }
        var servers: [MCPServerDefinition] = []
        var firstLines: [String: Int?] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string, key.null == nil else {
                problems.report(key, "servers: \(YAMLReader.describe(key)) is not a valid server name")
                continue
            }
            if let first = firstLines[name] {
                problems.report(key, "servers: '\(name)' is defined twice" + (first.map { " (first at line \($0))" } ?? ""))
                continue
            }
            firstLines[name] = problems.line(of: key)
            if let server = server(value, name: name, key: key) { servers.append(server) }
        }
        return servers
    }

    /// One server entry; `nil` when it has a problem (reported).
    private mutating func server(_ node: Node, name: String, key: Node) -> MCPServerDefinition? {
        let problemsBefore = problems.count
        if let problem = MCPServerName.problem(with: name) { problems.report(key, "servers: \(problem)") }
        let path = "servers.\(name)"
        guard let mapping = problems.mapping(node, path, mustBe: YAMLProblems.mapping(withKeys: MCPConfigFile.serverKeys))
        else { return nil }
        var definition = MCPServerDefinition(name: name, transport: .stdio)
        var hasCommand = false
        var hasURL = false
        var secretEnvironment: [(name: String, node: Node)] = []
        var secretHeaders: [(name: String, node: Node)] = []
        for (key, value) in mapping {
            let field = "\(path).\(key.scalar?.string ?? "")"
            switch key.scalar?.string {
            case "command":
                hasCommand = true
                definition.command = shownText(value, field: field)
            case "url":
                hasURL = true
                definition.url = shownText(value, field: field)
            case "args":
                definition.arguments = arguments(value, field: field)
            case "env":
                definition.environment = settings(value, field: field, kind: .env)
            case "headers":
                definition.headers = settings(value, field: field, kind: .header)
            case "secret_env":
                secretEnvironment = names(value, field: field)
            case "secret_headers":
                secretHeaders = names(value, field: field)
            case "enabled":
                if let enabled = problems.bool(value, field) { definition.enabled = enabled }
            default:
                problems.unknownKey(key, in: path, expected: MCPConfigFile.serverKeys)
            }
        }
        for secret in secretEnvironment {
            guard let index = definition.environment.firstIndex(where: { $0.name == secret.name }) else {
                problems.report(secret.node, "\(path).secret_env: '\(secret.name)' is not a key of env")
                continue
            }
            definition.environment[index].secret = true
        }
        for secret in secretHeaders {
            guard let index = definition.headers.firstIndex(where: { $0.name.lowercased() == secret.name.lowercased() })
            else {
                problems.report(secret.node, "\(path).secret_headers: '\(secret.name)' is not a key of headers")
                continue
            }
            definition.headers[index].secret = true
        }
        switch (hasCommand, hasURL) {
        case (true, true):
            problems.report(key, "\(path) has both command and url; a server is either stdio (command) or http (url)")
        case (false, false):
            problems.report(key, "\(path) needs command (stdio) or url (http)")
        case (_, let isHTTP):
            definition.transport = isHTTP ? .http : .stdio
        }
        guard problems.count == problemsBefore else { return nil }
        if let problem = Self.record(for: definition).validationProblem() {
            problems.report(key, "\(path): \(problem)")
            return nil
        }
        return definition
    }

    /// A record with the definition's values in plain text, to check it as the store would.
    private static func record(for definition: MCPServerDefinition) -> MCPServerRecord {
        func variables(_ settings: [MCPServerDefinition.Setting]) -> [MCPVariable] {
            settings.map { MCPVariable(name: $0.name, value: .plain($0.value)) }
        }
        return MCPServerRecord(
            id: MCPServerID("mcp.yaml"), contextID: .defaultContext, name: definition.name,
            transport: definition.transport, command: definition.command, arguments: definition.arguments,
            environment: variables(definition.environment), url: definition.url,
            headers: variables(definition.headers), enabled: definition.enabled)
    }

    private mutating func arguments(_ node: Node, field: String) -> [String] {
        if node.null != nil { return [] }
        guard let sequence = problems.sequence(node, field, mustBe: #"a list of text, like ["--port", "8080"]"#) else {
            return []
        }
        var arguments: [String] = []
        for (index, element) in sequence.enumerated() {
            if let text = shownText(element, field: "\(field)[\(index)]") { arguments.append(text) }
        }
        return arguments
    }

    private enum SettingKind {
        case env, header
    }

    private mutating func settings(_ node: Node, field: String, kind: SettingKind) -> [MCPServerDefinition.Setting] {
        if node.null != nil { return [] }
        guard let mapping = problems.mapping(node, field, mustBe: "a mapping of name to value") else { return [] }
        var settings: [MCPServerDefinition.Setting] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string, key.null == nil else {
                problems.report(key, "\(field): \(YAMLReader.describe(key)) is not a valid name")
                continue
            }
            switch kind {
            case .env where !MCPServerName.isValidVariableName(name):
                problems.report(key, "\(field): environment variable name '\(name)' must match [A-Za-z_][A-Za-z0-9_]*")
            case .header where !MCPServerName.isValidHeaderName(name):
                problems.report(key, "\(field): header name '\(name)' is not a valid HTTP header name")
            default:
                break
            }
            // Kept even when the value is bad (the server is dropped anyway), so `secret_env`
            // naming it is not reported as well.
            let expanded = expand(value, field: "\(field).\(name)")
            let secret = expanded.map { !$0.variables.isEmpty } ?? false
            settings.append(.init(name: name, value: expanded?.text ?? "", secret: secret))
        }
        return settings
    }

    private mutating func names(_ node: Node, field: String) -> [(name: String, node: Node)] {
        if node.null != nil { return [] }
        guard let sequence = problems.sequence(node, field, mustBe: "a list of names, like [API_TOKEN]") else { return [] }
        var names: [(name: String, node: Node)] = []
        for element in sequence {
            guard let name = element.scalar?.string, element.null == nil else {
                problems.report(element, "\(field): \(YAMLReader.describe(element)) is not a name")
                continue
            }
            names.append((name, element))
        }
        return names
    }

    /// Text for `command`, `url` and `args`, which list and diagnostics show: `${NAME}` would
    /// put a secret there, so it is refused.
    private mutating func shownText(_ node: Node, field: String) -> String? {
        guard let expanded = expand(node, field: field) else { return nil }
        guard expanded.variables.isEmpty else {
            let references = expanded.variables.map { "${\($0)}" }.joined(separator: ", ")
            problems.report(
                node,
                "\(field): \(references) can only be used in env and headers values "
                    + "(values from Tern's environment are secret; command, args and url are shown)")
            return nil
        }
        return expanded.text
    }

    /// A scalar as text with `${NAME}` replaced from ``environment`` and `$$` by `$`, and the
    /// names it used; `nil` when the node is not a scalar or a reference is bad (reported).
    private mutating func expand(_ node: Node, field: String) -> (text: String, variables: [String])? {
        guard case .scalar(let scalar) = node, node.null == nil else {
            problems.wrongKind(node, field, mustBe: "text")
            return nil
        }
        let scalars = scalar.string.unicodeScalars
        var text = String.UnicodeScalarView()
        var variables: [String] = []
        var isValid = true
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let current = scalars[index]
            let next = scalars.index(after: index)
            guard current == "$", next < scalars.endIndex, scalars[next] == "$" || scalars[next] == "{" else {
                // Any other `$` is literal text.
                text.append(current)
                index = next
                continue
            }
            if scalars[next] == "$" {
                text.append("$")
                index = scalars.index(after: next)
                continue
            }
            let nameStart = scalars.index(after: next)
            guard let close = scalars[nameStart...].firstIndex(of: "}") else {
                problems.report(node, "\(field): '${' is not closed; write ${NAME}, or $$ for a literal $")
                return nil
            }
            let name = String(String.UnicodeScalarView(scalars[nameStart..<close]))
            index = scalars.index(after: close)
            guard MCPServerName.isValidVariableName(name) else {
                problems.report(
                    node,
                    "\(field): '${\(name)}' is not a valid reference; NAME in ${NAME} must match "
                        + "[A-Za-z_][A-Za-z0-9_]* (write $$ for a literal $)")
                isValid = false
                continue
            }
            guard let value = environment[name] else {
                problems.report(node, "${\(name)} is not set in Tern's environment")
                isValid = false
                continue
            }
            text.append(contentsOf: value.unicodeScalars)
            variables.append(name)
        }
        return isValid ? (String(text), variables) : nil
    }
}
