package import Foundation

/// A tenant: every conversation, message and (later) memory, credential and tool belongs to one.
package struct Context: Sendable, Equatable, Codable {
    package var id: ContextID
    /// Unique; see ``ContextName``.
    package var name: String
    package var kind: ContextKind
    package var createdAt: Date

    package init(id: ContextID, name: String, kind: ContextKind = .shared, createdAt: Date) {
        self.id = id
        self.name = name
        self.kind = kind
        self.createdAt = createdAt
    }
}

/// A thread on one channel, found by `(platform, platformID)`.
package struct Conversation: Sendable, Equatable, Codable {
    package var id: ConversationID
    package var contextID: ContextID
    /// The channel, e.g. `openai`, `cli`, `telegram`.
    package var platform: String
    /// The channel's own identifier of the thread.
    package var platformID: String
    package var createdAt: Date

    package init(
        id: ConversationID, contextID: ContextID, platform: String, platformID: String, createdAt: Date
    ) {
        self.id = id
        self.contextID = contextID
        self.platform = platform
        self.platformID = platformID
        self.createdAt = createdAt
    }
}

/// A run of messages inside a conversation; history for the model is loaded per session.
package struct Session: Sendable, Equatable, Codable {
    package var id: SessionID
    package var conversationID: ConversationID
    package var contextID: ContextID
    package var createdAt: Date

    package init(id: SessionID, conversationID: ConversationID, contextID: ContextID, createdAt: Date) {
        self.id = id
        self.conversationID = conversationID
        self.contextID = contextID
        self.createdAt = createdAt
    }
}

/// Who wrote a message.
package enum Role: String, Sendable, Codable, CaseIterable {
    case system, user, assistant, tool
}

/// Whether a stored message is whole.
package enum MessageStatus: String, Sendable, Codable {
    /// The message is complete.
    case complete
    /// The turn was cut short (client gone, upstream failed mid-stream); the content is what arrived.
    case incomplete
}

/// Token counts of one or more model calls: reported by the model server, or estimated by
/// Tern when the server reported none (``estimated``).
package struct TokenUsage: Sendable, Equatable, Codable {
    package var promptTokens: Int
    package var completionTokens: Int
    package var totalTokens: Int
    /// Some of the counts were estimated (the server reported no usage for at least one call).
    package var estimated: Bool

    package init(promptTokens: Int, completionTokens: Int, totalTokens: Int? = nil, estimated: Bool = false) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens ?? promptTokens + completionTokens
        self.estimated = estimated
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens, completionTokens, totalTokens, estimated
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        promptTokens = try container.decode(Int.self, forKey: .promptTokens)
        completionTokens = try container.decode(Int.self, forKey: .completionTokens)
        totalTokens = try container.decode(Int.self, forKey: .totalTokens)
        estimated = try container.decodeIfPresent(Bool.self, forKey: .estimated) ?? false
    }

    /// The usage of two calls together; estimated if either was.
    package static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        TokenUsage(
            promptTokens: lhs.promptTokens + rhs.promptTokens,
            completionTokens: lhs.completionTokens + rhs.completionTokens,
            totalTokens: lhs.totalTokens + rhs.totalTokens, estimated: lhs.estimated || rhs.estimated)
    }
}

/// A message as stored.
package struct Message: Sendable, Equatable, Codable {
    package var id: MessageID
    package var sessionID: SessionID
    package var contextID: ContextID
    package var role: Role
    package var content: String
    /// Tool calls or tool results as JSON text, when the message carries any.
    package var toolData: String?
    package var usage: TokenUsage?
    package var status: MessageStatus
    package var createdAt: Date

    package init(
        id: MessageID, sessionID: SessionID, contextID: ContextID, role: Role, content: String,
        toolData: String? = nil, usage: TokenUsage? = nil, status: MessageStatus = .complete,
        createdAt: Date
    ) {
        self.id = id
        self.sessionID = sessionID
        self.contextID = contextID
        self.role = role
        self.content = content
        self.toolData = toolData
        self.usage = usage
        self.status = status
        self.createdAt = createdAt
    }
}
