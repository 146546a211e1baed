package import Foundation
import SQLKit
package import TernCore

/// ``UsageStore`` on SQLKit; the same queries serve SQLite and PostgreSQL.
package struct SQLUsageStore: UsageStore {
    private let database: any DatabaseHandle
    private let makeID: @Sendable () -> String

    /// - Parameter makeID: new row IDs (random UUIDs unless a test injects its own).
    package init(
        database: any DatabaseHandle, makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.database = database
        self.makeID = makeID
    }

    /// Stores one record at its own `createdAt`.
    /// - Throws: ``StoreError/notFound(_:)`` for an unknown context, or a conversation that is
    ///   not the context's.
    package func record(_ record: UsageRecord) async throws {
        let id = makeID()
        try await mapErrors {
            try await database.transaction { db in
                // Checked first so an unknown context reads the same on SQLite and PostgreSQL
                // (their foreign-key errors differ); the foreign keys still guard a race.
                try await SQLTenantStore.requireContext(db, record.contextID)
                if let conversation = record.conversationID {
                    try await SQLConversationStore.requireConversation(db, conversation, record.contextID)
                }
                let usage = record.usage
                try await db.insert(into: "usage_records")
                    .columns(
                        "id", "context_id", "conversation_id", "purpose", "prompt_tokens", "completion_tokens",
                        "total_tokens", "estimated", "created_at"
                    )
                    .values(
                        SQLBind(id), SQLBind(record.contextID.rawValue), SQLBind(record.conversationID?.rawValue),
                        SQLBind(record.purpose), SQLBind(usage.promptTokens), SQLBind(usage.completionTokens),
                        SQLBind(usage.totalTokens), SQLBind(usage.estimated ? 1 : 0),
                        SQLBind(record.createdAt.microsecondsSince1970)
                    )
                    .run()
            }
        }
    }

    package func total(in context: ContextID, since date: Date) async throws -> TokenUsage? {
        let time = date.microsecondsSince1970
        let row = try await mapErrors {
            try await database.read { db in
                // Sums cast to BIGINT so both dialects hand back the same integer type.
                try await db.raw(
                    """
                    SELECT COUNT(*) AS records,
                        CAST(COALESCE(SUM(prompt_tokens), 0) AS BIGINT) AS prompt_tokens,
                        CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT) AS completion_tokens,
                        CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT) AS total_tokens,
                        CAST(COALESCE(MAX(estimated), 0) AS BIGINT) AS estimated
                    FROM usage_records
                    WHERE context_id = \(bind: context.rawValue) AND created_at >= \(bind: time)
                    """
                ).first()
            }
        }
        guard let row, try row.decode(column: "records", as: Int.self) > 0 else { return nil }
        return TokenUsage(
            promptTokens: try row.decode(column: "prompt_tokens", as: Int.self),
            completionTokens: try row.decode(column: "completion_tokens", as: Int.self),
            totalTokens: try row.decode(column: "total_tokens", as: Int.self),
            estimated: try row.decode(column: "estimated", as: Int.self) == 1)
    }
}
