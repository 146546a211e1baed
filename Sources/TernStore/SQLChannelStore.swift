package import Foundation
import SQLKit
package import TernCore

/// ``ChannelStore`` on SQLKit; the same queries serve SQLite and PostgreSQL. Each statement is
/// scoped by its key (`channel`, `telegram_user_id` or `code_hash`); each race the port
/// promises to settle (offsets, duplicates, redemptions) is settled by one conditional statement.
///
/// Link codes are stored only as HMAC-SHA256 under the server's secret key (``APIKeyHasher``),
/// so a copy of the database holds no usable code; a code is found by its hash, never by
/// comparing secrets.
package struct SQLChannelStore: ChannelStore {
    private let database: any DatabaseHandle
    private let hasher: APIKeyHasher
    private let clock: MonotonicMicroseconds

    /// - Parameters:
    ///   - hasher: the keyed hash of link codes (the server's secret key).
    ///   - clock: the time source for `updated_at`, `processed_at` and `created_at`.
    package init(database: any DatabaseHandle, hasher: APIKeyHasher, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.hasher = hasher
        self.clock = MonotonicMicroseconds(clock: clock)
    }

    package func offset(for channel: String) async throws -> Int64? {
        let row = try await mapErrors {
            try await database.read { db in
                try await db.select().column("value").from("channel_state")
                    .where("channel", .equal, SQLBind(channel)).first()
            }
        }
        return try row?.decode(column: "value", as: Int64.self)
    }

    package func saveOffset(_ offset: Int64, for channel: String) async throws {
        try Self.validate(channel: channel)
        let now = clock.next()
        try await mapErrors {
            try await database.write { db in
                // One upsert whose update only fires for a higher offset: a late writer with a
                // lower one changes nothing, on SQLite and PostgreSQL alike.
                try await db.insert(into: "channel_state")
                    .columns("channel", "value", "updated_at")
                    .values(SQLBind(channel), SQLBind(offset), SQLBind(now))
                    .onConflict(with: ["channel"]) { update in
                        update.set(excludedValueOf: "value").set(excludedValueOf: "updated_at")
                            .where(SQLColumn("value", table: "channel_state"), .lessThan, SQLExcludedColumn("value"))
                    }
                    .run()
            }
        }
    }

    package func markProcessed(_ updateID: Int64, channel: String) async throws -> Bool {
        try Self.validate(channel: channel)
        let now = clock.next()
        let inserted = try await mapErrors {
            try await database.write { db in
                // RETURNING yields the row only when it was inserted, not when the key was taken.
                try await db.insert(into: "channel_updates")
                    .columns("channel", "update_id", "processed_at")
                    .values(SQLBind(channel), SQLBind(updateID), SQLBind(now))
                    .ignoringConflicts(with: ["channel", "update_id"])
                    .returning("update_id")
                    .all()
                    .count
            }
        }
        return inserted == 1
    }

    package func pruneProcessed(channel: String, below updateID: Int64) async throws -> Int {
        try await mapErrors {
            try await database.write { db in
                try await db.delete(from: "channel_updates")
                    .where("channel", .equal, SQLBind(channel))
                    .where("update_id", .lessThan, SQLBind(updateID))
                    .returning("update_id")
                    .all()
                    .count
            }
        }
    }

    package func enqueue(_ updateID: Int64, payload: String, channel: String) async throws -> Bool {
        try Self.validate(channel: channel)
        let now = clock.next()
        let inserted = try await mapErrors {
            try await database.write { db in
                try await db.insert(into: "channel_inbox")
                    .columns("channel", "update_id", "payload", "received_at")
                    .values(SQLBind(channel), SQLBind(updateID), SQLBind(payload), SQLBind(now))
                    .ignoringConflicts(with: ["channel", "update_id"])
                    .returning("update_id")
                    .all()
                    .count
            }
        }
        return inserted == 1
    }

    package func queuedUpdates(channel: String) async throws -> [QueuedChannelUpdate] {
        let rows = try await mapErrors {
            try await database.read { db in
                try await db.select().columns("update_id", "payload").from("channel_inbox")
                    .where("channel", .equal, SQLBind(channel))
                    .orderBy("update_id")
                    .all()
            }
        }
        return try rows.map { row in
            QueuedChannelUpdate(
                updateID: try row.decode(column: "update_id", as: Int64.self),
                payload: try row.decode(column: "payload", as: String.self))
        }
    }

    package func dequeue(_ updateID: Int64, channel: String) async throws {
        try await mapErrors {
            try await database.write { db in
                try await db.delete(from: "channel_inbox")
                    .where("channel", .equal, SQLBind(channel))
                    .where("update_id", .equal, SQLBind(updateID))
                    .run()
            }
        }
    }

    package func chatContext(chat: Int64, channel: String) async throws -> ContextID? {
        let row = try await mapErrors {
            try await database.read { db in
                try await db.select().column("context_id").from("channel_chat_contexts")
                    .where("channel", .equal, SQLBind(channel))
                    .where("chat_id", .equal, SQLBind(chat))
                    .first()
            }
        }
        return try row.map { ContextID(try $0.decode(column: "context_id", as: String.self)) }
    }

    package func setChatContext(_ context: ContextID, chat: Int64, channel: String) async throws {
        try Self.validate(channel: channel)
        let now = clock.next()
        try await mapErrors {
            try await database.transaction { db in
                // Checked first so an unknown context reads the same on SQLite and PostgreSQL.
                try await SQLTenantStore.requireContext(db, context)
                try await db.insert(into: "channel_chat_contexts")
                    .columns("channel", "chat_id", "context_id", "updated_at")
                    .values(SQLBind(channel), SQLBind(chat), SQLBind(context.rawValue), SQLBind(now))
                    .onConflict(with: ["channel", "chat_id"]) { update in
                        update.set(excludedValueOf: "context_id").set(excludedValueOf: "updated_at")
                    }
                    .run()
            }
        }
    }

    package func linkedUser(telegramUserID: Int64) async throws -> UserID? {
        let row = try await mapErrors {
            try await database.read { db in
                try await db.select().column("user_id").from("telegram_links")
                    .where("telegram_user_id", .equal, SQLBind(telegramUserID)).first()
            }
        }
        return try row.map { UserID(try $0.decode(column: "user_id", as: String.self)) }
    }

    package func unlink(telegramUserID: Int64) async throws {
        let removed = try await mapErrors {
            try await database.write { db in
                try await db.delete(from: "telegram_links")
                    .where("telegram_user_id", .equal, SQLBind(telegramUserID))
                    .returning("telegram_user_id")
                    .all()
            }
        }
        if removed.isEmpty { throw StoreError.notFound("telegram user \(telegramUserID) is not linked") }
    }

    package func createLinkCode(for user: UserID, expiresAt: Date) async throws -> String {
        let code = LinkCode.make()
        let now = clock.next()
        try await mapErrors {
            try await database.transaction { db in
                // Checked first so an unknown user reads the same on SQLite and PostgreSQL.
                try await SQLTenantStore.requireUser(db, user)
                try await db.insert(into: "telegram_link_codes")
                    .columns("code_hash", "user_id", "created_at", "expires_at")
                    .values(
                        SQLBind(hash(code)), SQLBind(user.rawValue), SQLBind(now),
                        SQLBind(expiresAt.microsecondsSince1970)
                    )
                    .run()
            }
        }
        return code
    }

    package func redeemLinkCode(_ code: String, telegramUserID: Int64, at time: Date) async throws -> UserID? {
        guard let code = LinkCode.normalise(code) else { return nil }
        let codeHash = hash(code)
        let at = time.microsecondsSince1970
        return try await mapErrors {
            try await database.transaction { db -> UserID? in
                // Deleting first makes the code single-use: of concurrent redeemers only one gets
                // the row back. An expired code is deleted too, and the transaction still commits.
                let row = try await db.delete(from: "telegram_link_codes")
                    .where("code_hash", .equal, SQLBind(codeHash))
                    .returning("user_id", "expires_at")
                    .first()
                guard let row, try row.decode(column: "expires_at", as: Int64.self) > at else { return nil }
                let user = UserID(try row.decode(column: "user_id", as: String.self))
                try await db.insert(into: "telegram_links")
                    .columns("telegram_user_id", "user_id", "linked_at")
                    .values(SQLBind(telegramUserID), SQLBind(user.rawValue), SQLBind(at))
                    .onConflict(with: ["telegram_user_id"]) { update in
                        update.set(excludedValueOf: "user_id").set(excludedValueOf: "linked_at")
                    }
                    .run()
                return user
            }
        }
    }

    package func deleteExpiredLinkCodes(at time: Date) async throws -> Int {
        try await mapErrors {
            try await database.write { db in
                try await db.delete(from: "telegram_link_codes")
                    .where("expires_at", .lessThanOrEqual, SQLBind(time.microsecondsSince1970))
                    .returning("code_hash")
                    .all()
                    .count
            }
        }
    }

    /// The stored form of a normalised code; the prefix keeps these hashes apart from API keys'.
    private func hash(_ code: String) -> String {
        hasher.hash("telegram-link-code:" + code)
    }
}
