import Foundation
import TernCore

/// The dashboard's view model, built from a ``PortalDashboard`` (or a mock in tests).
struct DashboardModel: Sendable {
    struct Count: Sendable {
        let label: String
        let value: Int
    }

    /// A table of turns (``PortalTurnRow``) for the `turns` partial.
    struct Turns: Sendable {
        struct Row: Sendable {
            let at: String
            let context: String
            let conversation: String
            let tokens: String
            let status: String
        }

        let rows: [Row]
        let emptyText: String
        /// Stored: Mustache reads stored properties only (it uses `Mirror`).
        let isEmpty: Bool

        init(rows: [Row], emptyText: String) {
            self.rows = rows
            self.emptyText = emptyText
            isEmpty = rows.isEmpty
        }
    }

    let scopeNote: String
    let counts: [Count]
    let chart: UsageChart
    let recentTurns: Turns
    let unfinishedTurns: Turns

    init(_ dashboard: PortalDashboard, everything: Bool, today: Int) {
        scopeNote = everything ? "Everything on this server." : "The contexts you belong to."
        counts = [
            Count(label: "Users", value: dashboard.users), Count(label: "Contexts", value: dashboard.contexts),
            Count(label: "Conversations", value: dashboard.conversations), Count(label: "Messages, 14 days", value: dashboard.messages),
            Count(label: "Pending approvals", value: dashboard.pendingApprovals),
        ]
        chart = UsageChart(dashboard.usageByDay, lastDay: today, days: 14)
        recentTurns = Self.turns(dashboard.recentTurns, empty: "No turns yet.")
        unfinishedTurns = Self.turns(dashboard.unfinishedTurns, empty: "No unfinished turns.")
    }

    static func turns(_ rows: [PortalTurnRow], empty: String) -> Turns {
        Turns(
            rows: rows.map { row in
                Turns.Row(
                    at: PortalFormat.time(row.at), context: row.contextName, conversation: row.conversationID.rawValue,
                    tokens: row.totalTokens.map(String.init) ?? "–", status: row.complete ? "complete" : "unfinished")
            }, emptyText: empty)
    }
}

/// A bar chart of tokens per day as inline SVG coordinates (no script, no library).
struct UsageChart: Sendable {
    struct Bar: Sendable {
        let x: Int
        let y: Int
        let width: Int
        let height: Int
        let labelX: Int
        let labelY: Int
        let label: String
        let shortLabel: String
        let tokens: Int
    }

    let width: Int
    let height: Int
    let bars: [Bar]
    let summary: String

    /// One bar per day for the `days` days ending with `lastDay` (days since 1970, UTC).
    init(_ usage: [PortalDailyUsage], lastDay: Int, days: Int) {
        let (width, height) = (700, 180)
        self.width = width
        self.height = height
        let byDay = Dictionary(usage.map { ($0.day, $0.tokens) }, uniquingKeysWith: +)
        let range = (lastDay - days + 1)...lastDay
        let peak = max(1, range.map { byDay[$0] ?? 0 }.max() ?? 1)
        let slot = width / days
        let plotHeight = height - 24
        bars = range.enumerated().map { index, day in
            let tokens = byDay[day] ?? 0
            let barHeight = tokens == 0 ? 0 : max(1, tokens * (plotHeight - 8) / peak)
            let date = Date(timeIntervalSince1970: TimeInterval(day) * 86_400)
            return Bar(
                x: index * slot + 4, y: plotHeight - barHeight, width: slot - 8, height: barHeight, labelX: index * slot + slot / 2,
                labelY: plotHeight + 16, label: PortalFormat.day(date), shortLabel: PortalFormat.shortDay(date), tokens: tokens)
        }
        let total = range.reduce(0) { $0 + (byDay[$1] ?? 0) }
        summary = "\(total) tokens in the last \(days) days"
    }
}

/// How the portal writes times and days: UTC, ISO-like, the same in every page.
enum PortalFormat {
    /// `yyyy-MM-dd HH:mm:ss` in UTC, computed (a `DateFormatter` per call cost more than the rest
    /// of a table row; a shared one is not safe across threads).
    static func time(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let (days, second) = (seconds.floorDivided(by: 86_400), seconds.floorModulo(86_400))
        let (year, month, day) = civil(days: days)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = year < 1000 && year >= 0 ? String(repeating: "0", count: 4 - "\(year)".count) + "\(year)" : "\(year)"
        return "\(yearText)-\(two(month))-\(two(day)) \(two(second / 3600)):\(two(second / 60 % 60)):\(two(second % 60))"
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01 (H. Hinnant's
    /// `civil_from_days`).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func day(_ date: Date) -> String { String(time(date).prefix(10)) }

    static func shortDay(_ date: Date) -> String { String(day(date).suffix(5)) }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    fileprivate func floorModulo(_ divisor: Int64) -> Int64 { self - floorDivided(by: divisor) * divisor }
}
