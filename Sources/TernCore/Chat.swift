import Foundation

/// One message sent to a chat model, in the OpenAI chat-completions shape.
package struct ChatMessage: Sendable, Equatable, Codable {
    package var role: Role
    package var content: String?
    package var name: String?
    package var toolCalls: [ToolCall]?
    package var toolCallID: String?

    package init(
        role: Role, content: String?, name: String? = nil, toolCalls: [ToolCall]? = nil,
        toolCallID: String? = nil
    ) {
        self.role = role
        self.content = content
        self.name = name
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    enum CodingKeys: String, CodingKey {
        case role, content, name
        case toolCalls = "tool_calls"
        case toolCallID = "tool_call_id"
    }
}

/// A function call the model asked for.
package struct ToolCall: Sendable, Equatable, Codable {
    package var id: String
    package var name: String
    /// The arguments exactly as the model wrote them (JSON text, possibly malformed).
    package var arguments: String

    package init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// A tool offered to the model.
package struct ToolDefinition: Sendable, Equatable, Codable {
    package var name: String
    package var description: String
    package var parameters: JSONValue

    package init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// How the model may use the tools it is offered (OpenAI's `tool_choice`).
package enum ToolChoice: Sendable, Equatable {
    /// Never call a tool.
    case none
    /// Call tools or answer, as the model sees fit.
    case auto
    /// Call at least one tool.
    case required
    /// Call exactly this tool.
    case function(String)
}

/// The sampling parameters a client may set; `nil` leaves the server's default.
package struct SamplingParameters: Sendable, Equatable {
    package var temperature: Double?
    package var topP: Double?
    /// `max_tokens` / `max_completion_tokens`.
    package var maxTokens: Int?
    package var stop: [String]?
    package var seed: Int?
    /// OpenAI's `response_format` object, passed through as given.
    package var responseFormat: JSONValue?

    package init(
        temperature: Double? = nil, topP: Double? = nil, maxTokens: Int? = nil, stop: [String]? = nil,
        seed: Int? = nil, responseFormat: JSONValue? = nil
    ) {
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.stop = stop
        self.seed = seed
        self.responseFormat = responseFormat
    }

    /// Whether nothing is set.
    package var isEmpty: Bool { self == SamplingParameters() }
}

/// A request to a chat model.
package struct ChatRequest: Sendable, Equatable {
    package var model: String
    package var messages: [ChatMessage]
    package var sampling: SamplingParameters
    package var tools: [ToolDefinition]
    /// `nil`: the provider decides how to offer `tools` (its server profile's default).
    package var toolChoice: ToolChoice?

    package init(
        model: String, messages: [ChatMessage], temperature: Double? = nil, maxTokens: Int? = nil,
        tools: [ToolDefinition] = [], toolChoice: ToolChoice? = nil
    ) {
        self.init(
            model: model, messages: messages, sampling: SamplingParameters(temperature: temperature, maxTokens: maxTokens),
            tools: tools, toolChoice: toolChoice)
    }

    package init(
        model: String, messages: [ChatMessage], sampling: SamplingParameters, tools: [ToolDefinition] = [],
        toolChoice: ToolChoice? = nil
    ) {
        self.model = model
        self.messages = messages
        self.sampling = sampling
        self.tools = tools
        self.toolChoice = toolChoice
    }

    /// Shorthand for `sampling.temperature`.
    package var temperature: Double? {
        get { sampling.temperature }
        set { sampling.temperature = newValue }
    }

    /// Shorthand for `sampling.maxTokens`.
    package var maxTokens: Int? {
        get { sampling.maxTokens }
        set { sampling.maxTokens = newValue }
    }
}

/// The whole answer of a chat model (non-streamed, or a stream merged to its end).
package struct ChatCompletion: Sendable, Equatable {
    package var content: String
    package var toolCalls: [ToolCall]
    /// `stop`, `length`, `tool_calls`, … as the server said; `nil` if it said nothing.
    package var finishReason: String?
    /// `nil` when the server reported no usage.
    package var usage: TokenUsage?
    package var model: String?

    package init(
        content: String, toolCalls: [ToolCall] = [], finishReason: String? = nil,
        usage: TokenUsage? = nil, model: String? = nil
    ) {
        self.content = content
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
        self.model = model
    }
}

/// What a streamed chat call yields: content as it arrives, then the merged completion once.
package enum ChatStreamEvent: Sendable, Equatable {
    case content(String)
    case finished(ChatCompletion)
}

/// A model the provider serves.
package struct ModelInfo: Sendable, Equatable, Codable {
    package var id: String
    package var ownedBy: String?

    package init(id: String, ownedBy: String? = nil) {
        self.id = id
        self.ownedBy = ownedBy
    }
}

/// The port to a chat model (an OpenAI-compatible server in production, a script in tests).
package protocol ModelProvider: Sendable {
    /// One non-streamed chat completion.
    func complete(_ request: ChatRequest) async throws -> ChatCompletion
    /// A streamed chat completion. Cancelling the consuming task cancels the upstream call.
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error>
    /// The models the upstream serves.
    func models() async throws -> [ModelInfo]
    /// Embeddings for each input, in order.
    func embed(_ inputs: [String], model: String?) async throws -> [[Float]]
    /// Throws unless the server answers; asked for in the background, so it must not disturb
    /// the server's work (the default asks for ``models()``).
    func checkReachability() async throws
}

extension ModelProvider {
    package func checkReachability() async throws { _ = try await models() }
}

/// Why a model call failed. Each case names the endpoint it concerns.
package enum ModelError: Error, Equatable, CustomStringConvertible {
    /// No model server is configured.
    case notConfigured(hint: String)
    /// The server answered with an error status.
    case upstream(endpoint: String, status: Int, message: String)
    /// No answer within the time allowed.
    case timeout(endpoint: String, seconds: Double)
    /// The connection failed or broke.
    case connection(endpoint: String, reason: String)
    /// The server answered something that is not the expected JSON.
    case invalidResponse(endpoint: String, reason: String)
    /// A streamed answer was cut off: the stream ended (`[DONE]` or the connection closed) without
    /// a `finish_reason`. A stream throws this *after* yielding the content that arrived, so the
    /// consumer keeps (and stores as incomplete) the partial answer; tool calls of a cut stream
    /// are never returned. `usage` counts the partial answer (estimated) when it could be counted.
    case incomplete(endpoint: String, reason: String, usage: TokenUsage?)

    package var description: String {
        switch self {
        case .notConfigured(let hint):
            "no language model is configured: \(hint)"
        case .upstream(let endpoint, let status, let message):
            "model server answered \(status) on \(endpoint): \(message)"
        case .timeout(let endpoint, let seconds):
            "model server did not answer \(endpoint) within \(Self.format(seconds)) s"
        case .connection(let endpoint, let reason):
            "could not reach model server at \(endpoint): \(reason)"
        case .invalidResponse(let endpoint, let reason):
            "model server sent an invalid response on \(endpoint): \(reason)"
        case .incomplete(let endpoint, let reason, _):
            "model server's answer on \(endpoint) was cut off: \(reason)"
        }
    }

    /// What API clients and chat users are told: ``description`` without the model server's
    /// address (an internal host and port is nobody's business but the operator's, and the log
    /// keeps it) and without connection details, which name addresses too.
    package var publicDescription: String {
        switch self {
        case .notConfigured(let hint):
            "no language model is configured: \(hint)"
        case .upstream(_, let status, let message):
            "model server answered \(status): \(message)"
        case .timeout(_, let seconds):
            "model server did not answer within \(Self.format(seconds)) s"
        case .connection:
            "could not reach the model server"
        case .invalidResponse(_, let reason):
            "model server sent an invalid response: \(reason)"
        case .incomplete(_, let reason, _):
            "model server's answer was cut off: \(reason)"
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds.rounded() == seconds ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}
