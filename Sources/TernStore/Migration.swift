import SQLKit
import TernCore

/// One numbered, reversible schema change.
package struct Migration: Sendable {
    /// The version number; migrations run in ascending order and each number appears once.
    package var version: Int
    /// A short name shown by `tern migrate --status`.
    package var name: String
    /// Statements that apply the change, for the given dialect.
    package var up: @Sendable (SQLDialectKind) -> [String]
    /// Statements that undo the change, for the given dialect.
    package var down: @Sendable (SQLDialectKind) -> [String]

    package init(
        version: Int, name: String, up: @escaping @Sendable (SQLDialectKind) -> [String],
        down: @escaping @Sendable (SQLDialectKind) -> [String]
    ) {
        self.version = version
        self.name = name
        self.up = up
        self.down = down
    }
}

extension Migration {
    /// Every migration Tern knows, in order.
    package static let all: [Migration] = [
        .coreTables,
        .defaultTenant,
        .tenancy,
        .retentionIndexes,
        .agentTables,
        .channelTables,
        .mcpServers,
        .usageAndSupersede,
        .chatContextsAndInbox,
        .instances,
        .adminSessions,
        .credentialsAndAudit,
        .portalFormTokens,
        .memory,
        .dashboardIndexes,
        .liveHistoryIndex,
        .memoryRecallIndexes,
        .memoryKeywordJoinIndex,
    ]
}

/// The state of one migration in a database.
package struct MigrationStatus: Sendable, Equatable {
    package var version: Int
    package var name: String
    /// When it was applied (microseconds since 1970), or `nil` if pending.
    package var appliedAt: Int64?
}
