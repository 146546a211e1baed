package import Foundation
package import TernCore

/// A validated `POST /v1/chat/completions` body: messages (with tool calls and results), client
/// tools and `tool_choice`, and the sampling parameters forwarded to the model server. Unknown
/// fields are ignored, as OpenAI clients send many (`metadata`, `parallel_tool_calls`, …).
package struct ChatCompletionRequest: Sendable, Equatable {
    package var model: String
    package var messages: [ChatMessage]
    package var stream: Bool
    package var includeUsage: Bool
    /// temperature, top_p, max_tokens, stop, seed, response_format.
    package var sampling: SamplingParameters
    /// Tools the client offers (it runs them itself).
    package var tools: [ToolDefinition]
    /// The client's `tool_choice`, if any.
    package var toolChoice: ToolChoice?
    /// OpenAI's end-user identifier; part of the derived conversation key.
    package var user: String?

    /// The results of the client's tool calls at the end of the thread (a continuation), or
    /// empty when the thread ends with a user message.
    package var trailingToolResults: [ChatMessage] {
        Array(messages.reversed().prefix { $0.role == .tool }.reversed())
    }

    package var temperature: Double? { sampling.temperature }
    package var maxTokens: Int? { sampling.maxTokens }

    /// Parses and validates a request body; every error names the offending field (`param`).
    package static func parse(_ data: Data) throws(APIError) -> ChatCompletionRequest {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: data)
        } catch {
            throw .invalid("the request body is not valid JSON: \(error)", param: nil, code: "invalid_json")
        }
        guard let body = json.objectValue else {
            throw .invalid("the request body must be a JSON object, got \(json.typeName)", param: nil)
        }
        // As every JSON body: NUL in any field (`messages[0].content`) is a 400, not a 500 on PostgreSQL.
        try JSONBody.refuseNUL(in: json)
        let model = try requireString(body, "model")
        guard !model.isEmpty else { throw .invalid("'model' must not be empty", param: "model") }
        guard let rawMessages = body["messages"] else {
            throw .invalid("'messages' is required", param: "messages", code: "missing_required_parameter")
        }
        guard let list = rawMessages.arrayValue else {
            throw .invalid("'messages' must be an array, got \(rawMessages.typeName)", param: "messages")
        }
        guard !list.isEmpty else {
            throw .invalid("'messages' must contain at least one message", param: "messages")
        }
        var messages: [ChatMessage] = []
        for (index, element) in list.enumerated() {
            messages.append(try parseMessage(element, at: index))
        }
        guard messages.last?.role == .user || messages.last?.role == .tool else {
            throw .invalid(
                "the last message must have role 'user' (or 'tool' to continue after tool calls), got '\(messages.last?.role.rawValue ?? "")'",
                param: "messages[\(messages.count - 1)].role")
        }
        try checkToolResults(messages)
        let stream = try optionalBool(body, "stream") ?? false
        var includeUsage = false
        if let options = body["stream_options"], options != .null {
            guard let object = options.objectValue else {
                throw .invalid("'stream_options' must be an object, got \(options.typeName)", param: "stream_options")
            }
            includeUsage = try optionalBool(object, "include_usage", path: "stream_options.include_usage") ?? false
        }
        let sampling = try parseSampling(body)
        if let n = try optionalInteger(body, "n"), n != 1 {
            throw .invalid("only n=1 is supported, got \(n)", param: "n")
        }
        let tools = try parseTools(body["tools"])
        let toolChoice = try parseToolChoice(body["tool_choice"], tools: tools)
        let user = try optionalString(body, "user")
        return ChatCompletionRequest(
            model: model, messages: messages, stream: stream, includeUsage: includeUsage, sampling: sampling,
            tools: tools, toolChoice: toolChoice, user: user)
    }

    private static func parseMessage(_ value: JSONValue, at index: Int) throws(APIError) -> ChatMessage {
        let path = "messages[\(index)]"
        guard let object = value.objectValue else {
            throw .invalid("\(path) must be an object, got \(value.typeName)", param: path)
        }
        guard let roleValue = object["role"] else {
            throw .invalid("\(path).role is required", param: "\(path).role")
        }
        guard let roleName = roleValue.stringValue else {
            throw .invalid("\(path).role must be a string, got \(roleValue.typeName)", param: "\(path).role")
        }
        // `developer` is OpenAI's newer name for `system`.
        let role: Role
        switch roleName {
        case "developer": role = .system
        default:
            guard let known = Role(rawValue: roleName) else {
                throw .invalid(
                    "\(path).role must be one of system, developer, user, assistant, tool; got '\(roleName)'",
                    param: "\(path).role")
            }
            role = known
        }
        let content = try parseContent(object["content"], path: "\(path).content", role: role)
        let name = try optionalString(object, "name", path: "\(path).name")
        var toolCalls: [ToolCall]?
        if role == .assistant, let raw = object["tool_calls"], raw != .null {
            toolCalls = try parseToolCalls(raw, path: "\(path).tool_calls")
        }
        var toolCallID: String?
        if role == .tool {
            toolCallID = try optionalString(object, "tool_call_id", path: "\(path).tool_call_id")
            guard let id = toolCallID, !id.isEmpty else {
                throw .invalid("\(path).tool_call_id is required for role 'tool'", param: "\(path).tool_call_id")
            }
        }
        return ChatMessage(
            role: role, content: content, name: name, toolCalls: toolCalls?.isEmpty == true ? nil : toolCalls,
            toolCallID: toolCallID)
    }

    private static func parseContent(_ value: JSONValue?, path: String, role: Role) throws(APIError) -> String {
        switch value {
        case .string(let text):
            return text
        case .null, nil:
            // Assistant turns that only called tools carry no content.
            guard role == .assistant else {
                throw .invalid("\(path) is required for role '\(role.rawValue)'", param: path)
            }
            return ""
        case .array(let parts):
            var texts: [String] = []
            for (index, part) in parts.enumerated() {
                let partPath = "\(path)[\(index)]"
                guard let object = part.objectValue else {
                    throw .invalid("\(partPath) must be an object, got \(part.typeName)", param: partPath)
                }
                let type = object["type"]?.stringValue
                guard type == "text" else {
                    throw .invalid(
                        "\(partPath).type '\(type ?? "missing")' is not supported; only text parts are",
                        param: "\(partPath).type")
                }
                guard let text = object["text"]?.stringValue else {
                    throw .invalid("\(partPath).text must be a string", param: "\(partPath).text")
                }
                texts.append(text)
            }
            return texts.joined(separator: "\n")
        case .some(let other):
            throw .invalid("\(path) must be a string or an array of parts, got \(other.typeName)", param: path)
        }
    }

    // MARK: Field readers

    private static func requireString(_ object: [String: JSONValue], _ key: String) throws(APIError) -> String {
        guard let value = object[key] else {
            throw .invalid("'\(key)' is required", param: key, code: "missing_required_parameter")
        }
        guard let string = value.stringValue else {
            throw .invalid("'\(key)' must be a string, got \(value.typeName)", param: key)
        }
        return string
    }

    static func optionalString(_ object: [String: JSONValue], _ key: String, path: String? = nil)
        throws(APIError) -> String?
    {
        guard let value = object[key], value != .null else { return nil }
        guard let string = value.stringValue else {
            throw .invalid("'\(path ?? key)' must be a string, got \(value.typeName)", param: path ?? key)
        }
        return string
    }

    static func optionalBool(_ object: [String: JSONValue], _ key: String, path: String? = nil)
        throws(APIError) -> Bool?
    {
        guard let value = object[key], value != .null else { return nil }
        guard case .bool(let flag) = value else {
            throw .invalid("'\(path ?? key)' must be a boolean, got \(value.typeName)", param: path ?? key)
        }
        return flag
    }

    static func optionalNumber(_ object: [String: JSONValue], _ key: String) throws(APIError) -> Double? {
        guard let value = object[key], value != .null else { return nil }
        guard case .number(let number) = value else {
            throw .invalid("'\(key)' must be a number, got \(value.typeName)", param: key)
        }
        return number
    }

    static func optionalInteger(_ object: [String: JSONValue], _ key: String) throws(APIError) -> Int? {
        guard let number = try optionalNumber(object, key) else { return nil }
        guard number.rounded() == number, abs(number) < 1e12 else {
            throw .invalid("'\(key)' must be an integer, got \(number)", param: key)
        }
        return Int(number)
    }
}
