import Foundation
import TernCore

/// The audit log page's model: the filter form as sent, one keyset page of entries (before and
/// after as the log keeps them: secrets already masked), and the link to the next page.
struct AuditModel: Sendable {
    struct Row: Sendable {
        var at: String
        var actor: String
        var via: String
        var from: String
        var action: String
        var object: String
        var context: String
        var before: String?
        var after: String?
    }

    /// The filters as the form shows them back.
    struct Filters: Sendable, Equatable {
        var actor = ""
        var object = ""
        var since = ""
        var until = ""
    }

    var filters: Filters
    var rows: [Row]
    /// Stored, not computed: templates read models by reflection.
    var isEmpty: Bool
    var nextHref: String?
    var scopeNote: String

    init(filters: Filters, page: AuditPage, scopeNote: String) {
        self.filters = filters
        self.scopeNote = scopeNote
        rows = page.entries.map { entry in
            Row(
                at: PortalFormat.time(entry.at), actor: entry.actor.actor, via: entry.actor.via.rawValue,
                from: entry.actor.from ?? "", action: entry.action,
                object: "\(entry.objectType):\(entry.objectID)",
                context: entry.contextID?.rawValue ?? "", before: entry.before?.jsonText,
                after: entry.after?.jsonText)
        }
        isEmpty = rows.isEmpty
        nextHref = page.next.map { cursor in
            PortalQuery.href(
                "/admin/audit",
                [
                    "actor": filters.actor, "object": filters.object, "since": filters.since,
                    "until": filters.until, "cursor": cursor.token,
                ])
        }
    }
}

extension PortalQuery {
    /// A `YYYY-MM-DD` date of a form as the start of that UTC day; `nil` for an empty field; a
    /// 400 naming the field (by its `label`) for anything else.
    static func day(_ text: String, label: String) throws -> Date? {
        guard !text.isEmpty else { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            let date = DateComponents(calendar: utc, year: year, month: month, day: day).date,
            utc.dateComponents([.year, .month, .day], from: date)
                == DateComponents(year: year, month: month, day: day)
        else {
            throw PortalFailure.invalid("\(label) must be a date written YYYY-MM-DD, not '\(text)'.")
        }
        return date
    }

    /// The `From` and `To` days of a search form as a half-open range: from the start of `since`
    /// to the end of `until` (UTC).
    static func days(since: String, until: String) throws -> (Date?, Date?) {
        (try day(since, label: "From"), try day(until, label: "To")?.addingTimeInterval(86_400))
    }

    /// A page link's `cursor` as a keyset position; `nil` when empty, a 400 when damaged.
    static func cursor(_ token: String) throws -> AuditCursor? {
        guard !token.isEmpty else { return nil }
        guard let position = AuditCursor(token: token) else {
            throw PortalFailure.invalid("The page link is damaged (cursor '\(token)'); start from the first page.")
        }
        return position
    }

    /// The Gregorian calendar in UTC, the portal's one time zone.
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
