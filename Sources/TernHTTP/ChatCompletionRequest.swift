import Foundation
import TernCore

/// A validated `POST /v1/chat/completions` body. Unknown fields are ignored, as OpenAI clients
/// send many (`top_p`, `seed`, `metadata`, …) that Tern does not use.
package struct ChatCompletionRequest: Sendable, Equatable {
    package var model: String
    package var messages: [ChatMessage]
    package var stream: Bool
    package var includeUsage: Bool
    package var temperature: Double?
    package var maxTokens: Int?
    /// OpenAI's end-user identifier; part of the derived conversation key.
    package var user: String?

    /// Parses and validates a request body; every error names the offending field (`param`).
    package static func parse(_ data: Data) throws(APIError) -> ChatCompletionRequest {
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw .invalid("the request body is not valid JSON: \(Self.describe(error))", param: nil, code: "invalid_json")
        }
        guard let body = json.objectValue else {
            throw .invalid("the request body must be a JSON object, got \(json.typeName)", param: nil)
        }
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
        guard messages.last?.role == .user else {
            throw .invalid(
                "the last message must have role 'user', got '\(messages.last?.role.rawValue ?? "")'",
                param: "messages[\(messages.count - 1)].role")
        }
        let stream = try optionalBool(body, "stream") ?? false
        var includeUsage = false
        if let options = body["stream_options"], options != .null {
            guard let object = options.objectValue else {
                throw .invalid("'stream_options' must be an object, got \(options.typeName)", param: "stream_options")
            }
            includeUsage = try optionalBool(object, "include_usage", path: "stream_options.include_usage") ?? false
        }
        let temperature = try optionalNumber(body, "temperature")
        if let temperature, !(0...2).contains(temperature) {
            throw .invalid("'temperature' must be between 0 and 2, got \(temperature)", param: "temperature")
        }
        var maxTokens = try optionalInteger(body, "max_completion_tokens")
        if maxTokens == nil { maxTokens = try optionalInteger(body, "max_tokens") }
        if let maxTokens, maxTokens < 1 {
            throw .invalid("'max_tokens' must be at least 1, got \(maxTokens)", param: "max_tokens")
        }
        if let n = try optionalInteger(body, "n"), n != 1 {
            throw .invalid("only n=1 is supported, got \(n)", param: "n")
        }
        if let tools = body["tools"], tools != .null, tools.arrayValue?.isEmpty == false {
            throw .invalid(
                "client-side tools are not supported: Tern's agent runs its own tools", param: "tools")
        }
        let user = try optionalString(body, "user")
        return ChatCompletionRequest(
            model: model, messages: messages, stream: stream, includeUsage: includeUsage,
            temperature: temperature, maxTokens: maxTokens, user: user)
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
        return ChatMessage(role: role, content: content, name: name)
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

    private static func optionalString(_ object: [String: JSONValue], _ key: String, path: String? = nil)
        throws(APIError) -> String?
    {
        guard let value = object[key], value != .null else { return nil }
        guard let string = value.stringValue else {
            throw .invalid("'\(path ?? key)' must be a string, got \(value.typeName)", param: path ?? key)
        }
        return string
    }

    private static func optionalBool(_ object: [String: JSONValue], _ key: String, path: String? = nil)
        throws(APIError) -> Bool?
    {
        guard let value = object[key], value != .null else { return nil }
        guard case .bool(let flag) = value else {
            throw .invalid("'\(path ?? key)' must be a boolean, got \(value.typeName)", param: path ?? key)
        }
        return flag
    }

    private static func optionalNumber(_ object: [String: JSONValue], _ key: String) throws(APIError) -> Double? {
        guard let value = object[key], value != .null else { return nil }
        guard case .number(let number) = value else {
            throw .invalid("'\(key)' must be a number, got \(value.typeName)", param: key)
        }
        return number
    }

    private static func optionalInteger(_ object: [String: JSONValue], _ key: String) throws(APIError) -> Int? {
        guard let number = try optionalNumber(object, key) else { return nil }
        guard number.rounded() == number, abs(number) < 1e12 else {
            throw .invalid("'\(key)' must be an integer, got \(number)", param: key)
        }
        return Int(number)
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}
