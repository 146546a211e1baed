import Foundation
import SQLKit
package import TernCore

/// ``AuditStore`` on SQLKit; the same queries serve SQLite and PostgreSQL. Pages are keyset
/// pages on `(at, id)`, newest first, each filter served by an index ending in `(at, id)`.
package struct SQLAuditStore: AuditStore {
    private let database: any DatabaseHandle

    package init(database: any DatabaseHandle) {
        self.database = database
    }

    package func record(_ entry: AuditEntry) async throws {
        let before = entry.before?.jsonText
        let after = entry.after?.jsonText
        try await mapErrors {
            try await database.write { db in
                try await db.insert(into: "audit_log")
                    .columns(
                        "id", "at", "actor", "via", "action", "object_type", "object_id", "context_id", "client_address",
                        "before_json", "after_json"
                    )
                    .values(
                        SQLBind(entry.id), SQLBind(entry.at.microsecondsSince1970), SQLBind(entry.actor.actor),
                        SQLBind(entry.actor.via.rawValue), SQLBind(entry.action), SQLBind(entry.objectType),
                        SQLBind(entry.objectID), SQLBind(entry.contextID?.rawValue), SQLBind(entry.actor.from),
                        SQLBind(before), SQLBind(after)
                    )
                    .run()
            }
        }
    }

    package func entries(_ query: AuditQuery) async throws -> AuditPage {
        if let contexts = query.contexts, contexts.isEmpty { return AuditPage(entries: [], next: nil) }
        let limit = max(1, min(query.limit, 500))
        let rows = try await mapErrors {
            try await database.read { db in
                var select = db.select().columns("*").from("audit_log")
                if let actor = query.actor { select = select.where("actor", .equal, SQLBind(actor)) }
                if let type = query.objectType { select = select.where("object_type", .equal, SQLBind(type)) }
                if let id = query.objectID { select = select.where("object_id", .equal, SQLBind(id)) }
                if let contexts = query.contexts {
                    select = select.where("context_id", .in, SQLBind.group(contexts.map(\.rawValue).sorted()))
                }
                if let since = query.since { select = select.where("at", .greaterThanOrEqual, SQLBind(since.microsecondsSince1970)) }
                if let until = query.until { select = select.where("at", .lessThan, SQLBind(until.microsecondsSince1970)) }
                if let cursor = query.cursor {
                    select = select.where(
                        SQLQueryString(
                            "at <= \(bind: cursor.at) AND (at < \(bind: cursor.at) OR (at = \(bind: cursor.at) AND id < \(bind: cursor.id)))"
                        ))
                }
                return try await select.orderBy("at", .descending).orderBy("id", .descending).limit(limit + 1).all()
            }
        }
        let entries = try rows.prefix(limit).map(Self.decode)
        let next = rows.count > limit ? entries.last.map { AuditCursor(at: $0.at.microsecondsSince1970, id: $0.id) } : nil
        return AuditPage(entries: entries, next: next)
    }

    private static func decode(_ row: any SQLRow) throws -> AuditEntry {
        func json(_ column: String) throws -> JSONValue? {
            guard let text = try row.decode(column: column, as: String?.self) else { return nil }
            do {
                return try JSONValue(parsing: Data(text.utf8))
            } catch {
                throw StoreError.database("audit_log.\(column) is not valid JSON (\(error))")
            }
        }
        let via = try row.decode(column: "via", as: String.self)
        return AuditEntry(
            id: try row.decode(column: "id", as: String.self),
            at: Date(microsecondsSince1970: try row.decode(column: "at", as: Int64.self)),
            actor: AuditActor(
                actor: try row.decode(column: "actor", as: String.self),
                via: try AuditChannel(rawValue: via).unwrap("unknown audit channel \(via)"),
                from: try row.decode(column: "client_address", as: String?.self)),
            action: try row.decode(column: "action", as: String.self),
            objectType: try row.decode(column: "object_type", as: String.self),
            objectID: try row.decode(column: "object_id", as: String.self),
            contextID: try row.decode(column: "context_id", as: String?.self).map { ContextID($0) },
            before: try json("before_json"), after: try json("after_json"))
    }
}
