import Foundation
package import TernCore

/// A JSON-RPC request id: MCP allows a number or a string. Tern's own requests use numbers.
package enum JSONRPCID: Hashable, Sendable, Decodable, CustomStringConvertible {
    case number(Int)
    case string(String)

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Not a number: then it must be a string, whose decoding error is the one to report.
        if let number = try? container.decode(Int.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// The id of a JSON value: a whole number or a string; `nil` for anything else.
    init?(_ value: JSONValue?) {
        switch value {
        case .number(let number)? where number.rounded() == number && abs(number) < JSONWriter.largestExactInteger:
            self = .number(Int(number))
        case .string(let text)?: self = .string(text)
        default: return nil
        }
    }

    var json: JSONValue {
        switch self {
        case .number(let number): .number(Double(number))
        case .string(let text): .string(text)
        }
    }

    package var description: String {
        switch self {
        case .number(let number): "\(number)"
        case .string(let text): text
        }
    }
}

/// The MCP protocol versions Tern speaks (those of the official SDKs of 2025-11), newest first
/// in ``latest``. Tern offers the newest; a server may choose an older one of these.
package enum MCPProtocolVersion {
    package static let supported: Set<String> = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
    // The list is not empty.
    package static let latest = supported.max() ?? "2025-11-25"
}

/// Who answered `initialize`.
package struct MCPServerInfo: Sendable, Equatable {
    package var name: String
    package var version: String
}

/// One tool as a server lists it in `tools/list`: what Tern reads of it.
package struct MCPToolDefinition: Sendable, Equatable {
    package var name: String
    package var title: String?
    package var description: String?
    /// The JSON Schema of its arguments (`.null` when the server sent none: such a tool is left
    /// out by ``MCPTool/adapt(_:server:context:pool:logger:)``).
    package var inputSchema: JSONValue
    /// `annotations.destructiveHint`.
    package var destructiveHint: Bool?

    package init(
        name: String, title: String? = nil, description: String? = nil, inputSchema: JSONValue,
        destructiveHint: Bool? = nil
    ) {
        self.name = name
        self.title = title
        self.description = description
        self.inputSchema = inputSchema
        self.destructiveHint = destructiveHint
    }
}

/// The parts of MCP's messages Tern sends and reads, over ``JSONValue`` (no generic decoding:
/// a field of the wrong type is a clear ``MCPClientError/protocolViolation(server:message:)``).
enum MCPWire {
    /// A request's or notification's JSON text (`id` `nil`: a notification). Whole numbers up
    /// to 2^53 go out as integers: a server with a strict `integer` (Go's `int64`, serde's
    /// `i64`) refuses `1.7e+15`.
    static func message(id: JSONRPCID?, method: String, params: JSONValue?) -> Data {
        var members: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
        if let id { members["id"] = id.json }
        if let params { members["params"] = params }
        return text(of: members)
    }

    /// A response to request `id`: its `result`, or an `error` (code, message and, when given,
    /// `data`).
    static func response(
        id: JSONRPCID, result: JSONValue? = nil, error: (code: Int, message: String)? = nil, errorData: JSONValue? = nil
    ) -> Data {
        var members: [String: JSONValue] = ["jsonrpc": "2.0", "id": id.json]
        if let error {
            var failure: [String: JSONValue] = ["code": .number(Double(error.code)), "message": .string(error.message)]
            if let errorData { failure["data"] = errorData }
            members["error"] = .object(failure)
        } else {
            members["result"] = result ?? [:]
        }
        return text(of: members)
    }

    private static func text(of members: [String: JSONValue]) -> Data {
        var writer = JSONWriter()
        writer.integerLimit = JSONWriter.largestExactInteger
        writer.value(.object(members))
        return Data(writer.bytes)
    }

    /// `initialize`'s parameters: the newest protocol version, no client capabilities (Tern
    /// offers no roots, sampling or elicitation to servers).
    static func initializeParams(clientName: String, clientVersion: String) -> JSONValue {
        [
            "protocolVersion": .string(MCPProtocolVersion.latest), "capabilities": [:],
            "clientInfo": ["name": .string(clientName), "version": .string(clientVersion)],
        ]
    }

    /// `initialize`'s result: the chosen version and who the server is.
    static func initializeResult(_ result: JSONValue, server: String) throws -> (version: String, info: MCPServerInfo) {
        guard let version = result["protocolVersion"]?.stringValue else {
            throw violation(server, "initialize result has no protocolVersion string")
        }
        guard let info = result["serverInfo"]?.objectValue, let name = info["name"]?.stringValue else {
            throw violation(server, "initialize result has no serverInfo with a name")
        }
        return (version, MCPServerInfo(name: name, version: info["version"]?.stringValue ?? ""))
    }

    /// One page of `tools/list`: its tools and the cursor of the next page.
    static func toolsPage(_ result: JSONValue, server: String) throws -> (tools: [MCPToolDefinition], next: String?) {
        guard let tools = result["tools"]?.arrayValue else {
            throw violation(server, "tools/list result has no tools array")
        }
        let definitions = try tools.map { tool -> MCPToolDefinition in
            guard let name = tool["name"]?.stringValue else {
                throw violation(server, "tools/list lists a tool without a name string")
            }
            var hint: Bool?
            if case .bool(let flag)? = tool["annotations"]?["destructiveHint"] { hint = flag }
            return MCPToolDefinition(
                name: name, title: tool["title"]?.stringValue, description: tool["description"]?.stringValue,
                inputSchema: tool["inputSchema"] ?? .null, destructiveHint: hint)
        }
        return (definitions, result["nextCursor"]?.stringValue)
    }

    /// `tools/call`'s result as the agent needs it.
    static func callResult(_ result: JSONValue, server: String) throws -> MCPCallResult {
        guard case .object = result else { throw violation(server, "tools/call result is not an object") }
        let content = result["content"]?.arrayValue ?? []
        var isError = false
        if case .bool(let flag)? = result["isError"] { isError = flag }
        return MCPCallResult(
            text: MCPContentRenderer.text(content: content, structured: result["structuredContent"]), isError: isError)
    }

    private static func violation(_ server: String, _ message: String) -> MCPClientError {
        .protocolViolation(server: server, message: message)
    }
}

/// Turns a `tools/call` result into the text the model reads.
package enum MCPContentRenderer {
    /// Text parts as they are, one per paragraph; images and audio as a short note (the model
    /// gets no binary); embedded resources by their text or URI; resource links by name and
    /// URI; other kinds by their type; `structuredContent` as JSON when there is no part.
    package static func text(content: [JSONValue], structured: JSONValue?) -> String {
        var parts: [String] = []
        for item in content {
            let type = item["type"]?.stringValue ?? "unknown"
            switch type {
            case "text":
                parts.append(item["text"]?.stringValue ?? "")
            case "image", "audio":
                let mimeType = item["mimeType"]?.stringValue ?? "unknown type"
                let bytes = (item["data"]?.stringValue?.utf8.count ?? 0) * 3 / 4
                parts.append("[\(type) \(mimeType), \(bytes) bytes, not shown]")
            case "resource":
                let resource = item["resource"]
                if let text = resource?["text"]?.stringValue {
                    parts.append(text)
                } else {
                    let uri = resource?["uri"]?.stringValue ?? "?"
                    let mimeType = resource?["mimeType"]?.stringValue.map { " (\($0))" } ?? ""
                    parts.append("[resource \(uri)\(mimeType), binary, not shown]")
                }
            case "resource_link":
                let uri = item["uri"]?.stringValue ?? "?"
                let name = item["name"]?.stringValue ?? uri
                parts.append("[link \(name): \(uri)\(item["description"]?.stringValue.map { " — \($0)" } ?? "")]")
            default:
                parts.append("[\(type) content, not shown]")
            }
        }
        if parts.isEmpty, let structured {
            return structured.jsonText
        }
        return parts.joined(separator: "\n\n")
    }
}
