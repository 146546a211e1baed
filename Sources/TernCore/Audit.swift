package import Foundation

/// Through what a change was made.
package enum AuditChannel: String, Sendable, Codable, CaseIterable {
    case api, cli, portal
}

/// Who made a change and from where: a user id (or `cli` for the command line), the channel,
/// and the client's address when there is one.
package struct AuditActor: Sendable, Equatable {
    package var actor: String
    package var via: AuditChannel
    package var from: String?

    package init(actor: String, via: AuditChannel, from: String? = nil) {
        self.actor = actor
        self.via = via
        self.from = from
    }

    /// The command line, run by whoever can read the server's configuration.
    package static let cli = AuditActor(actor: "cli", via: .cli)
}

/// One change, as the audit log keeps it. `before` and `after` are masked (``AuditMask``).
package struct AuditEntry: Sendable, Equatable {
    package var id: String
    package var at: Date
    package var actor: AuditActor
    /// What was done, e.g. `credential.set`, `PUT contexts/{id}/credentials/{name}`.
    package var action: String
    /// The kind of object changed (`context`, `credential`, …) and its id.
    package var objectType: String
    package var objectID: String
    package var contextID: ContextID?
    package var before: JSONValue?
    package var after: JSONValue?

    package init(
        id: String = UUID().uuidString.lowercased(), at: Date, actor: AuditActor, action: String, objectType: String,
        objectID: String, contextID: ContextID?, before: JSONValue? = nil, after: JSONValue? = nil
    ) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.objectType = objectType
        self.objectID = objectID
        self.contextID = contextID
        self.before = before.map(AuditMask.masked)
        self.after = after.map(AuditMask.masked)
    }
}

/// Which entries to list, newest first. `contexts` limits to entries of those contexts (an
/// owner's view); `nil` is every entry (an admin's).
package struct AuditQuery: Sendable, Equatable {
    package var actor: String?
    package var objectType: String?
    package var objectID: String?
    package var contexts: Set<ContextID>?
    package var since: Date?
    package var until: Date?
    /// Where the previous page ended (``AuditPage/next``).
    package var cursor: AuditCursor?
    package var limit: Int

    package init(
        actor: String? = nil, objectType: String? = nil, objectID: String? = nil, contexts: Set<ContextID>? = nil,
        since: Date? = nil, until: Date? = nil, cursor: AuditCursor? = nil, limit: Int = 50
    ) {
        self.actor = actor
        self.objectType = objectType
        self.objectID = objectID
        self.contexts = contexts
        self.since = since
        self.until = until
        self.cursor = cursor
        self.limit = limit
    }
}

/// A keyset position: the `(at, id)` of the last entry of a page, as an opaque token.
package struct AuditCursor: Sendable, Equatable {
    package var at: Int64
    package var id: String

    package init(at: Int64, id: String) {
        self.at = at
        self.id = id
    }

    /// `<microseconds>.<id>`, what clients pass back as `cursor`.
    package var token: String { "\(at).\(id)" }

    /// Parses a token; `nil` when it is not one.
    package init?(token: String) {
        let parts = token.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let at = Int64(parts[0]), !parts[1].isEmpty else { return nil }
        self.init(at: at, id: String(parts[1]))
    }
}

/// One page of entries, newest first, and where the next starts (`nil` at the end).
package struct AuditPage: Sendable, Equatable {
    package var entries: [AuditEntry]
    package var next: AuditCursor?

    package init(entries: [AuditEntry], next: AuditCursor?) {
        self.entries = entries
        self.next = next
    }
}

/// Keeps the audit log: appended to by every change, read newest first.
package protocol AuditStore: Sendable {
    func record(_ entry: AuditEntry) async throws
    func entries(_ query: AuditQuery) async throws -> AuditPage
}

/// Masks secrets in what the audit log keeps: the value of every key that names a secret
/// (`value`, `secret*`, `*token*`, `*password*`, `*key*` but `key_id`, `authorization`) becomes
/// `"***"`, at any depth. Credential values and secret MCP settings never reach the log. A text
/// longer than ``longestText`` (a document given to memory, a skill's source) is kept as its
/// length only: the log says what changed, and content a user later deletes (`tern memory
/// forget`) must not live on in it.
package enum AuditMask {
    package static let mask: JSONValue = .string("***")
    /// The longest text kept as it is, in characters.
    package static let longestText = 500

    package static func masked(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let fields):
            var result: [String: JSONValue] = [:]
            for (key, field) in fields { result[key] = isSecret(key) && field != .null ? mask : masked(field) }
            return .object(result)
        case .array(let items): return .array(items.map(masked))
        case .string(let text) where text.count > longestText: return .string("(\(text.count) characters, not kept)")
        default: return value
        }
    }

    static func isSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        if key == "key_id" || key == "id" || key.hasSuffix("_id") { return false }
        return key == "value" || key.hasPrefix("secret") || key.contains("token") || key.contains("password")
            || key.contains("key") || key == "authorization"
    }
}
