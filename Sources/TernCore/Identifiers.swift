import Foundation

/// A string identifier tagged with the kind of thing it names, so a `ContextID` can never be
/// passed where a `SessionID` is expected.
package struct TypedID<Tag>: Hashable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The stored form of the identifier.
    package let rawValue: String

    /// Wraps an existing identifier string.
    package init(_ rawValue: String) { self.rawValue = rawValue }

    /// Wraps a string literal; used by tests and well-known IDs.
    package init(stringLiteral value: String) { self.rawValue = value }

    /// A new random identifier (UUID v4, lowercase).
    package static func random() -> Self { Self(UUID().uuidString.lowercased()) }

    package init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    package var description: String { rawValue }
}

/// Tags for ``TypedID``.
package enum IDTag {
    package enum User {}
    package enum Context {}
    package enum Conversation {}
    package enum Session {}
    package enum Message {}
    package enum Approval {}
    package enum MCPServer {}
}

/// Identifies a user.
package typealias UserID = TypedID<IDTag.User>
/// Identifies a tenant ("context"); every piece of tenant data carries one.
package typealias ContextID = TypedID<IDTag.Context>
/// Identifies a conversation (one per channel thread).
package typealias ConversationID = TypedID<IDTag.Conversation>
/// Identifies a session inside a conversation (`/new` starts one).
package typealias SessionID = TypedID<IDTag.Session>
/// Identifies a stored message.
package typealias MessageID = TypedID<IDTag.Message>
/// Identifies a request for human approval of a tool call.
package typealias ApprovalID = TypedID<IDTag.Approval>
/// Identifies a context's MCP server definition.
package typealias MCPServerID = TypedID<IDTag.MCPServer>

extension ContextID {
    /// The context that exists from the first migration on, so Tern works before tenancy is set up.
    package static let defaultContext: ContextID = "00000000-0000-0000-0000-000000000001"
}

extension UserID {
    /// The built-in local user that owns traffic authenticated by a static API key.
    package static let localUser: UserID = "00000000-0000-0000-0000-000000000001"
}
