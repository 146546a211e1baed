import Foundation
import TernCore

/// OpenAI's wire shapes for chat answers, as Tern sends them.
enum OpenAIWire {
    struct Usage: Encodable {
        var promptTokens: Int
        var completionTokens: Int
        var totalTokens: Int

        init(_ usage: TokenUsage) {
            promptTokens = usage.promptTokens
            completionTokens = usage.completionTokens
            totalTokens = usage.totalTokens
        }

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
            case totalTokens = "total_tokens"
        }
    }

    struct Completion: Encodable {
        struct Choice: Encodable {
            struct Message: Encodable {
                var role = "assistant"
                /// `null` when the model only called (client) tools, as OpenAI sends it.
                var content: String?
                var toolCalls: [ToolCallWire]?

                enum CodingKeys: String, CodingKey {
                    case role, content
                    case toolCalls = "tool_calls"
                }

                func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    try container.encode(role, forKey: .role)
                    try container.encode(content, forKey: .content)
                    try container.encodeIfPresent(toolCalls, forKey: .toolCalls)
                }
            }

            var index = 0
            var message: Message
            var finishReason: String

            enum CodingKeys: String, CodingKey {
                case index, message
                case finishReason = "finish_reason"
            }
        }

        var id: String
        var object = "chat.completion"
        var created: Int
        var model: String
        var choices: [Choice]
        var usage: Usage?
    }

    struct Chunk: Encodable {
        struct Choice: Encodable {
            struct Delta: Encodable {
                var role: String?
                var content: String?
                var toolCalls: [ToolCallWire]?

                enum CodingKeys: String, CodingKey {
                    case role, content
                    case toolCalls = "tool_calls"
                }
            }

            var index = 0
            var delta: Delta
            var finishReason: String?

            enum CodingKeys: String, CodingKey {
                case index, delta
                case finishReason = "finish_reason"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(index, forKey: .index)
                try container.encode(delta, forKey: .delta)
                // Clients expect `finish_reason: null` on every chunk but the last.
                try container.encode(finishReason, forKey: .finishReason)
            }
        }

        var id: String
        var object = "chat.completion.chunk"
        var created: Int
        var model: String
        var choices: [Choice]
        var usage: Usage?
    }

    /// A tool call in a message (`index` unset) or a stream delta (`index` set).
    struct ToolCallWire: Encodable {
        struct Function: Encodable {
            var name: String
            var arguments: String
        }

        var index: Int?
        var id: String
        var type = "function"
        var function: Function

        init(_ call: ToolCall, index: Int? = nil) {
            self.index = index
            id = call.id
            function = Function(name: call.name, arguments: call.arguments)
        }
    }

    struct ModelList: Encodable {
        struct Model: Encodable {
            var id: String
            var object = "model"
            var created: Int
            var ownedBy = "tern"

            enum CodingKeys: String, CodingKey {
                case id, object, created
                case ownedBy = "owned_by"
            }
        }

        var object = "list"
        var data: [Model]
    }
}
