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
        let prompt = try row.decodeOptional(column: "prompt_tokens", as: Int.self)
        let completion = try row.decodeOptional(column: "completion_tokens", as: Int.self)
        let total = try row.decodeOptional(column: "total_tokens", as: Int.self)
        let estimated = try row.decodeOptional(column: "usage_estimated", as: Int.self)
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
            toolData: try row.decodeOptional(column: "tool_data", as: String.self),
            usage: usage,
            status: try MessageStatus(rawValue: status).unwrap("unknown status \(status) in messages"),
            createdAt: Date(microsecondsSince1970: try row.decode(column: "created_at", as: Int64.self)))
    }
}

extension SQLRow {
    /// The column's value, `nil` for SQL `NULL`: the same as `decode(column:as: T?.self)`, without
    /// the drivers' `Decodable` path for `Optional` (a decoder object per value and a second
    /// lookup through it), which was a third of reading a turn's history (docs/benchmarks.md,
    /// "Issue 15: history reads").
    func decodeOptional<T: Decodable>(column: String, as type: T.Type) throws -> T? {
        try decodeNil(column: column) ? nil : decode(column: column, as: type)
    }
}
