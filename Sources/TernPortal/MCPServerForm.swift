import Foundation
import TernCore

/// Reads the MCP servers page's add form into a definition. It checks only what the form's
/// shape says (a transport, `NAME=value` lines); the rest — name, command found, URL allowed
/// by the network guard, fields that do not fit the transport — ``MCPServerAdmin/add(_:in:)``
/// checks, with the same messages as the admin API and `tern mcp add`.
enum MCPServerForm {
    /// The definition the form describes.
    static func definition(_ form: PortalForm) throws -> MCPServerDefinition {
        let name = try form.require("name", label: "The server's name")
        let transport = try form.require("transport", label: "The transport", as: MCPTransportKind.self)
        let settings = try settings(form.fields["settings"] ?? "")
        return MCPServerDefinition(
            name: name, transport: transport, command: form.value("command"), arguments: lines(form.fields["arguments"] ?? ""),
            environment: transport == .stdio ? settings : [], url: form.value("url"),
            headers: transport == .http ? settings : [])
    }

    /// The non-empty lines of a text area, as typed (a browser sends CRLF).
    static func lines(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// `NAME=value` lines: headers of an http server, environment variables of a stdio one.
    /// A bad line is named by its number only (it may hold a value someone meant to keep quiet).
    static func settings(_ text: String) throws -> [MCPServerDefinition.Setting] {
        try lines(text).enumerated().map { index, line in
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard parts.count == 2, !name.isEmpty else {
                throw PortalFailure.invalid(
                    "Line \(index + 1) of the headers or environment is not NAME=value (one setting per line).")
            }
            return MCPServerDefinition.Setting(name: name, value: String(parts[1]).trimmingCharacters(in: .whitespaces))
        }
    }

    /// What the audit log keeps of an added server: where it points and its settings' names.
    static func auditRecord(_ definition: MCPServerDefinition) -> JSONValue {
        .object([
            "transport": .string(definition.transport.rawValue),
            "url": definition.url.map(JSONValue.string) ?? .null,
            "command": definition.command.map(JSONValue.string) ?? .null,
            "args": .array(definition.arguments.map(JSONValue.string)),
            "settings": .array((definition.environment + definition.headers).map { .string($0.name) }),
        ])
    }
}
