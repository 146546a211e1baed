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

/// A request to a chat model.
package struct ChatRequest: Sendable, Equatable {
    package var model: String
    package var messages: [ChatMessage]
    package var temperature: Double?
    package var maxTokens: Int?
    package var tools: [ToolDefinition]

    package init(
        model: String, messages: [ChatMessage], temperature: Double? = nil, maxTokens: Int? = nil,
        tools: [ToolDefinition] = []
    ) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.tools = tools
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
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds.rounded() == seconds ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}
