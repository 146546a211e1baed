import Foundation
import TernCore

/// Client tools, `tool_choice`, tool messages and sampling parameters of a chat request.
extension ChatCompletionRequest {
    /// Tool names as OpenAI accepts them.
    static func isValidToolName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                    || byte == 0x5f || byte == 0x2d
            }
    }

    static func parseSampling(_ body: [String: JSONValue]) throws(APIError) -> SamplingParameters {
        var sampling = SamplingParameters()
        sampling.temperature = try optionalNumber(body, "temperature")
        if let temperature = sampling.temperature, !(0...2).contains(temperature) {
            throw .invalid("'temperature' must be between 0 and 2, got \(JSONValue.number(temperature).jsonText)", param: "temperature")
        }
        sampling.topP = try optionalNumber(body, "top_p")
        if let topP = sampling.topP, !(0...1).contains(topP) {
            throw .invalid("'top_p' must be between 0 and 1, got \(JSONValue.number(topP).jsonText)", param: "top_p")
        }
        var maxTokens = try optionalInteger(body, "max_completion_tokens")
        var maxTokensParam = "max_completion_tokens"
        if maxTokens == nil {
            maxTokens = try optionalInteger(body, "max_tokens")
            maxTokensParam = "max_tokens"
        }
        if let maxTokens, maxTokens < 1 {
            throw .invalid("'\(maxTokensParam)' must be at least 1, got \(maxTokens)", param: maxTokensParam)
        }
        sampling.maxTokens = maxTokens
        sampling.seed = try optionalInteger(body, "seed")
        switch body["stop"] {
        case nil, .null?: break
        case .string(let stop)?: sampling.stop = [stop]
        case .array(let items)?:
            guard items.count <= 4 else {
                throw .invalid("'stop' may have at most 4 sequences, got \(items.count)", param: "stop")
            }
            var stops: [String] = []
            for (index, item) in items.enumerated() {
                guard let text = item.stringValue else {
                    throw .invalid("'stop[\(index)]' must be a string, got \(item.typeName)", param: "stop[\(index)]")
                }
                stops.append(text)
            }
            sampling.stop = stops.isEmpty ? nil : stops
        case .some(let other):
            throw .invalid("'stop' must be a string or an array of strings, got \(other.typeName)", param: "stop")
        }
        switch body["response_format"] {
        case nil, .null?: break
        case .object(let format)?:
            guard let type = format["type"]?.stringValue, ["text", "json_object", "json_schema"].contains(type) else {
                throw .invalid(
                    "'response_format.type' must be one of text, json_object, json_schema",
                    param: "response_format.type")
            }
            sampling.responseFormat = type == "text" ? nil : .object(format)
        case .some(let other):
            throw .invalid("'response_format' must be an object, got \(other.typeName)", param: "response_format")
        }
        return sampling
    }

    static func parseTools(_ value: JSONValue?) throws(APIError) -> [ToolDefinition] {
        guard let value, value != .null else { return [] }
        guard let list = value.arrayValue else {
            throw .invalid("'tools' must be an array, got \(value.typeName)", param: "tools")
        }
        var tools: [ToolDefinition] = []
        var seen: Set<String> = []
        for (index, item) in list.enumerated() {
            let path = "tools[\(index)]"
            guard let object = item.objectValue else {
                throw .invalid("\(path) must be an object, got \(item.typeName)", param: path)
            }
            let type = object["type"]?.stringValue ?? "function"
            guard type == "function" else {
                throw .invalid("\(path).type '\(type)' is not supported; only function tools are", param: "\(path).type")
            }
            guard let function = object["function"]?.objectValue else {
                throw .invalid("\(path).function is required and must be an object", param: "\(path).function")
            }
            guard let name = function["name"]?.stringValue, isValidToolName(name) else {
                throw .invalid(
                    "\(path).function.name must be 1 to 64 letters, digits, '_' or '-'", param: "\(path).function.name")
            }
            guard seen.insert(name).inserted else {
                throw .invalid("\(path).function.name '\(name)' is offered twice", param: "\(path).function.name")
            }
            let description = try optionalString(function, "description", path: "\(path).function.description")
            var parameters = function["parameters"] ?? .null
            if parameters == .null { parameters = ["type": "object", "properties": [:]] }
            guard parameters.objectValue != nil else {
                throw .invalid(
                    "\(path).function.parameters must be a JSON schema object, got \(parameters.typeName)",
                    param: "\(path).function.parameters")
            }
            tools.append(ToolDefinition(name: name, description: description ?? "", parameters: parameters))
        }
        return tools
    }

    static func parseToolChoice(_ value: JSONValue?, tools: [ToolDefinition]) throws(APIError) -> ToolChoice? {
        switch value {
        case nil, .null?: return nil
        case .string("none")?: return ToolChoice.none
        case .string("auto")?: return .auto
        case .string("required")?: return .required
        case .object(let object)?:
            guard object["type"]?.stringValue ?? "function" == "function",
                let name = object["function"]?.objectValue?["name"]?.stringValue, !name.isEmpty
            else {
                throw .invalid(
                    "'tool_choice' must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": …}}",
                    param: "tool_choice")
            }
            guard tools.contains(where: { $0.name == name }) else {
                throw .invalid(
                    "'tool_choice' names '\(name)', which is not among the request's tools", param: "tool_choice")
            }
            return .function(name)
        case .some(let other):
            throw .invalid(
                "'tool_choice' must be none, auto, required or an object naming a function, got \(other.typeName)",
                param: "tool_choice")
        }
    }

    static func parseToolCalls(_ value: JSONValue, path: String) throws(APIError) -> [ToolCall] {
        guard let list = value.arrayValue else {
            throw .invalid("\(path) must be an array, got \(value.typeName)", param: path)
        }
        var calls: [ToolCall] = []
        for (index, item) in list.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard let object = item.objectValue, let function = object["function"]?.objectValue else {
                throw .invalid("\(itemPath).function is required", param: "\(itemPath).function")
            }
            guard let id = object["id"]?.stringValue, !id.isEmpty else {
                throw .invalid("\(itemPath).id is required", param: "\(itemPath).id")
            }
            guard let name = function["name"]?.stringValue, !name.isEmpty else {
                throw .invalid("\(itemPath).function.name is required", param: "\(itemPath).function.name")
            }
            let arguments: String
            switch function["arguments"] {
            case .string(let text)?: arguments = text
            case nil, .null?: arguments = "{}"
            case .some(let other): arguments = other.jsonText
            }
            calls.append(ToolCall(id: id, name: name, arguments: arguments))
        }
        return calls
    }

    /// Every `tool` message answers a call of the assistant message before it.
    static func checkToolResults(_ messages: [ChatMessage]) throws(APIError) {
        var open: Set<String> = []
        for (index, message) in messages.enumerated() {
            switch message.role {
            case .assistant:
                open = Set(message.toolCalls?.map(\.id) ?? [])
            case .tool:
                guard let id = message.toolCallID, open.contains(id) else {
                    throw .invalid(
                        "messages[\(index)].tool_call_id '\(message.toolCallID ?? "")' answers no tool call of the assistant message before it",
                        param: "messages[\(index)].tool_call_id")
                }
            default:
                open = []
            }
        }
    }
}
