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
                var content: String
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
