import Foundation
import Hummingbird
import TernCore

/// `GET audit?actor=&object=&since=&until=&cursor=&limit=`: the audit log, newest first, in
/// keyset pages (`next_cursor`). Admins see every entry; context owners the entries of the
/// contexts they own (``AdminScope``).
extension AdminController {
    func addAuditRoutes(to group: RouterGroup<TernRequestContext>) {
        group.get("audit", use: listAudit)
    }

    @Sendable func listAudit(_ request: Request, context: TernRequestContext) async throws -> Response {
        let scope = try await scope(of: context)
        var query = AuditQuery()
        switch scope.reach {
        case .everything: break
        case .limitedKey(let context): query.contexts = [context]
        case .owned(let owned): query.contexts = owned
        }
        let parameters = request.formQuery
        query.actor = parameters["actor"]
        if let object = parameters["object"] {
            // `type` or `type:id`, e.g. `credential` or `credential:GITHUB_TOKEN`.
            let parts = object.split(separator: ":", maxSplits: 1).map(String.init)
            query.objectType = parts.first
            query.objectID = parts.count == 2 ? parts[1] : nil
        }
        query.since = try Self.date(parameters["since"], "since")
        query.until = try Self.date(parameters["until"], "until")
        if let token = parameters["cursor"] {
            guard let cursor = AuditCursor(token: token) else {
                throw APIError.invalid("'cursor' is not a cursor this server gave out: \(token)", param: "cursor")
            }
            query.cursor = cursor
        }
        if let raw = parameters["limit"] {
            guard let limit = Int(raw), (1...500).contains(limit) else {
                throw APIError.invalid("'limit' must be a whole number from 1 to 500, got \(raw)", param: "limit")
            }
            query.limit = limit
        }
        let page = try await audit.entries(query)
        return try json(
            .ok,
            ["data": .array(page.entries.map(Self.entry)), "next_cursor": page.next.map { .string($0.token) } ?? .null])
    }

    private static func date(_ raw: String?, _ name: String) throws -> Date? {
        guard let raw else { return nil }
        guard let date = ISO8601DateFormatter().date(from: raw) else {
            throw APIError.invalid("'\(name)' must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got \(raw)", param: name)
        }
        return date
    }

    static func entry(_ entry: AuditEntry) -> JSONValue {
        .object([
            "id": .string(entry.id), "at": AdminJSON.time(entry.at), "actor": .string(entry.actor.actor),
            "via": .string(entry.actor.via.rawValue), "from": entry.actor.from.map(JSONValue.string) ?? .null,
            "action": .string(entry.action), "object_type": .string(entry.objectType),
            "object_id": .string(entry.objectID), "context_id": entry.contextID.map { .string($0.rawValue) } ?? .null,
            "before": entry.before ?? .null, "after": entry.after ?? .null,
        ])
    }
}
