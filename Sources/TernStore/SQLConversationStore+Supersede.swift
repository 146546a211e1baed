import Foundation
import SQLKit
import TernCore

/// Superseding messages: a client resent the thread with one of them edited or regenerated.
extension SQLConversationStore {
    @discardableResult
    package func supersede(from message: MessageID, in context: ContextID) async throws -> Int {
        let now = clock.next()
        return try await mapErrors {
            try await database.transaction { db in
                guard
                    let row = try await db.select().columns("session_id", "created_at").from("messages")
                        .where("id", .equal, SQLBind(message.rawValue))
                        .where("context_id", .equal, SQLBind(context.rawValue))
                        .first()
                else { throw StoreError.notFound("message \(message)") }
                let session = try row.decode(column: "session_id", as: String.self)
                let time = try row.decode(column: "created_at", as: Int64.self)
                // Later in (created_at, id) order, the order history reads in.
                let marked = try await db.update("messages")
                    .set("superseded_at", to: SQLBind(now))
                    .where("session_id", .equal, SQLBind(session))
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .where("superseded_at", .is, SQLLiteral.null)
                    .where {
                        $0.where("created_at", .greaterThan, SQLBind(time))
                            .orWhere {
                                $0.where("created_at", .equal, SQLBind(time))
                                    .where("id", .greaterThanOrEqual, SQLBind(message.rawValue))
                            }
                    }
                    .returning("id")
                    .all()
                return marked.count
            }
        }
    }
}
