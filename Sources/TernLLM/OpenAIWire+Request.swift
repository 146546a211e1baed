import Foundation
import TernCore

// The request side of the chat-completions wire format; see OpenAIWire.swift.

/// The body of `POST /chat/completions`, shaped by a ``ModelServerProfile``.
struct WireChatRequest: Encodable {
    var model: String
    var messages: [WireMessage]
    var temperature: Double?
    var topP: Double?
    var maxTokens: Int?
    var stop: [String]?
    var seed: Int?
    var responseFormat: JSONValue?
    var tools: [WireTool]?
    var toolChoice: WireToolChoice?
    var stream: Bool?
    var streamOptions: StreamOptions?

    /// `stream_options`: asks for a final usage chunk.
    struct StreamOptions: Encodable {
        var includeUsage: Bool
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, stop, seed, tools, stream
        case topP = "top_p"
        case maxTokens = "max_tokens"
        case responseFormat = "response_format"
        case toolChoice = "tool_choice"
        case streamOptions = "stream_options"
    }

    /// The wire form of `request` for `profile`, asking for SSE (and usage, where the profile
    /// does) when `stream` is set.
    init(_ request: ChatRequest, stream: Bool, profile: ModelServerProfile) {
        model = request.model
        messages = request.messages.map(WireMessage.init)
        let sampling = request.sampling
        temperature = sampling.temperature
        topP = sampling.topP
        maxTokens = sampling.maxTokens
        stop = sampling.stop.flatMap { $0.isEmpty ? nil : $0 }
        seed = sampling.seed
        responseFormat = sampling.responseFormat
        let offer = profile.toolOffer(for: request)
        tools = offer.tools.isEmpty ? nil : offer.tools.map(WireTool.init)
        toolChoice = tools == nil ? nil : offer.choice.map(WireToolChoice.init)
        self.stream = stream ? true : nil
        streamOptions = stream && profile.asksForStreamUsage ? StreamOptions(includeUsage: true) : nil
    }
}

/// `tool_choice`: `"none"`, `"auto"`, `"required"` or `{"type": "function", "function": {"name": …}}`.
struct WireToolChoice: Encodable {
    var choice: ToolChoice

    /// Wraps a Core tool choice.
    init(_ choice: ToolChoice) { self.choice = choice }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch choice {
        case .none: try container.encode("none")
        case .auto: try container.encode("auto")
        case .required: try container.encode("required")
        case .function(let name):
            try container.encode(JSONValue.object(["type": "function", "function": .object(["name": .string(name)])]))
        }
    }
}

/// One message as the server expects it.
struct WireMessage: Encodable {
    var message: ChatMessage

    /// Wraps a Core message.
    init(_ message: ChatMessage) { self.message = message }

    enum CodingKeys: String, CodingKey {
        case role, content, name
        case toolCalls = "tool_calls"
        case toolCallID = "tool_call_id"
    }

    /// A missing `content` is sent as `""`, also on assistant messages that only call tools:
    /// llama-cpp-python answers `null` there with a 500, and every server accepts `""`.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(message.role.rawValue, forKey: .role)
        try container.encode(message.content ?? "", forKey: .content)
        try container.encodeIfPresent(message.name, forKey: .name)
        if let toolCalls = message.toolCalls, !toolCalls.isEmpty {
            try container.encode(toolCalls.map(WireToolCall.init), forKey: .toolCalls)
        }
        try container.encodeIfPresent(message.toolCallID, forKey: .toolCallID)
    }
}

/// A tool offered to the model.
struct WireTool: Encodable {
    var type = "function"
    var function: Function

    /// The function's name, description and JSON-schema parameters.
    struct Function: Encodable {
        var name: String
        var description: String
        var parameters: JSONValue
    }

    /// Wraps a Core tool definition.
    init(_ tool: ToolDefinition) {
        function = Function(name: tool.name, description: tool.description, parameters: tool.parameters)
    }
}

/// A complete tool call, in requests (assistant history) and non-streamed responses.
struct WireToolCall: Codable {
    var id: String?
    var type: String?
    var function: WireFunction?

    /// Wraps a Core tool call.
    init(_ call: ToolCall) {
        id = call.id
        type = "function"
        function = WireFunction(name: call.name, arguments: WireArguments(text: call.arguments))
    }
}
