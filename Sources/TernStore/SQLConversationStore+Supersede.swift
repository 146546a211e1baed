import Foundation
import SQLKit
package import TernCore

/// Superseding messages: a client resent the thread with one of them edited or regenerated.
extension SQLConversationStore {
    /// One statement, no transaction: the `UPDATE … FROM` finds the message (in `context`) and
    /// marks it and every later message of its session. Only when it marks nothing does a second
    /// query tell an unknown message from one already superseded.
    @discardableResult
    package func supersede(from message: MessageID, in context: ContextID) async throws -> Int {
        let now = clock.next()
        return try await mapErrors {
            try await database.write { db in
                // Later in (created_at, id) order, the order history reads in.
                let marked = try await db.raw(
                    """
                    UPDATE messages SET superseded_at = \(bind: now)
                    FROM (SELECT session_id AS f_session, created_at AS f_time, id AS f_id FROM messages
                        WHERE id = \(bind: message.rawValue) AND context_id = \(bind: context.rawValue)) f
                    WHERE messages.session_id = f.f_session AND messages.context_id = \(bind: context.rawValue)
                        AND messages.superseded_at IS NULL
                        AND (messages.created_at > f.f_time OR (messages.created_at = f.f_time AND messages.id >= f.f_id))
                    RETURNING id
                    """
                ).all()
                if !marked.isEmpty { return marked.count }
                let exists = try await db.select().column("id").from("messages")
                    .where("id", .equal, SQLBind(message.rawValue))
                    .where("context_id", .equal, SQLBind(context.rawValue))
                    .first()
                guard exists != nil else { throw StoreError.notFound("message \(message)") }
                return 0
            }
        }
    }
}
