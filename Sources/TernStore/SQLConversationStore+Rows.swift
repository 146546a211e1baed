import Foundation
import SQLKit
import TernCore

/// Reading stored rows back into domain values.
extension SQLConversationStore {
    /// A `conversations` row as a ``Conversation``.
    static func decodeConversation(_ row: any SQLRow) throws -> Conversation {
        Conversation(
            id: ConversationID(try row.decode(column: "id", as: String.self)),
            contextID: ContextID(try row.decode(column: "context_id", as: String.self)),
            platform: try row.decode(column: "platform", as: String.self),
            platformID: try row.decode(column: "platform_id", as: String.self),
            createdAt: Date(microsecondsSince1970: try row.decode(column: "created_at", as: Int64.self)))
    }

    /// A `sessions` row as a ``Session``.
    static func decodeSession(_ row: any SQLRow) throws -> Session {
        Session(
            id: SessionID(try row.decode(column: "id", as: String.self)),
            conversationID: ConversationID(try row.decode(column: "conversation_id", as: String.self)),
            contextID: ContextID(try row.decode(column: "context_id", as: String.self)),
            createdAt: Date(microsecondsSince1970: try row.decode(column: "created_at", as: Int64.self)))
    }

    /// A `messages` row as a ``Message``; `usage_estimated` becomes ``TokenUsage/estimated``.
    static func decodeMessage(_ row: any SQLRow) throws -> Message {
        let role = try row.decode(column: "role", as: String.self)
        let status = try row.decode(column: "status", as: String.self)
        let prompt = try row.decode(column: "prompt_tokens", as: Int?.self)
        let completion = try row.decode(column: "completion_tokens", as: Int?.self)
        let total = try row.decode(column: "total_tokens", as: Int?.self)
        let estimated = try row.decode(column: "usage_estimated", as: Int?.self)
        var usage: TokenUsage?
        if let prompt, let completion {
            usage = TokenUsage(
                promptTokens: prompt, completionTokens: completion, totalTokens: total, estimated: estimated == 1)
        }
        return Message(
            id: MessageID(try row.decode(column: "id", as: String.self)),
            sessionID: SessionID(try row.decode(column: "session_id", as: String.self)),
            contextID: ContextID(try row.decode(column: "context_id", as: String.self)),
            role: try Role(rawValue: role).unwrap("unknown role \(role) in messages"),
            content: try row.decode(column: "content", as: String.self),
            toolData: try row.decode(column: "tool_data", as: String?.self),
            usage: usage,
            status: try MessageStatus(rawValue: status).unwrap("unknown status \(status) in messages"),
            createdAt: Date(microsecondsSince1970: try row.decode(column: "created_at", as: Int64.self)))
    }
}
