import Foundation
package import MCP
import TernCore

extension JSONValue {
    /// The MCP SDK's value for this JSON (whole numbers become integers, as JSON Schema's
    /// `integer` expects on the server side).
    package var mcpValue: MCP.Value {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 9.007_199_254_740_992e15 { .int(Int(value)) } else { .double(value) }
        case .string(let value): .string(value)
        case .array(let values): .array(values.map(\.mcpValue))
        case .object(let members): .object(members.mapValues(\.mcpValue))
        }
    }

    /// The JSON of an MCP SDK value (binary data becomes its data: URL text, as the SDK encodes it).
    package init(mcp value: MCP.Value) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .number(Double(number))
        case .double(let number): self = .number(number)
        case .string(let text): self = .string(text)
        case .data(let mimeType, let data):
            self = .string("data:\(mimeType ?? "application/octet-stream");base64,\(data.base64EncodedString())")
        case .array(let values): self = .array(values.map(JSONValue.init(mcp:)))
        case .object(let members): self = .object(members.mapValues(JSONValue.init(mcp:)))
        }
    }
}

/// Turns a `tools/call` result into the text the model reads.
package enum MCPContentRenderer {
    /// Text parts as they are, one per paragraph; images and audio as a short note (the model
    /// gets no binary); embedded resources by their text or URI; `structuredContent` as JSON
    /// when there is no text part.
    package static func text(content: [MCP.Tool.Content], structured: MCP.Value?) -> String {
        var parts: [String] = []
        for item in content {
            switch item {
            case .text(let text, _, _):
                parts.append(text)
            case .image(let data, let mimeType, _, _):
                parts.append("[image \(mimeType), \(approximateBytes(base64: data)) bytes, not shown]")
            case .audio(let data, let mimeType, _, _):
                parts.append("[audio \(mimeType), \(approximateBytes(base64: data)) bytes, not shown]")
            case .resource(let resource, _, _):
                if let text = resource.text {
                    parts.append(text)
                } else {
                    parts.append("[resource \(resource.uri)\(resource.mimeType.map { " (\($0))" } ?? ""), binary, not shown]")
                }
            case .resourceLink(let uri, let name, _, let description, _, _):
                parts.append("[link \(name): \(uri)\(description.map { " — \($0)" } ?? "")]")
            }
        }
        if parts.isEmpty, let structured {
            return JSONValue(mcp: structured).jsonText
        }
        return parts.joined(separator: "\n\n")
    }

    private static func approximateBytes(base64: String) -> Int { base64.utf8.count * 3 / 4 }
}
