import Foundation
import TernCore

/// One part of the Diagnostics page (the database, the model server, the MCP pool, …): a
/// check that answers name/value rows. ``DiagnosticsModel/collect(_:limit:)`` runs every check
/// at once, each bounded by a short time limit, so one that fails or hangs becomes a row with
/// its error and the page still renders.
struct DiagnosticsCheck: Sendable {
    let title: String
    let run: @Sendable () async throws -> [(String, String)]
}

/// What ran past its time limit.
struct DiagnosticsTimedOut: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "no answer within \(limit.shortDescription)" }
}

/// The Diagnostics page's model: a table per part, then the turns that did not finish.
struct DiagnosticsModel: Sendable {
    struct Row: Sendable {
        let name: String
        let value: String
        let isError: Bool
    }

    struct Section: Sendable {
        let title: String
        let rows: [Row]
        let isEmpty: Bool

        init(title: String, rows: [Row]) {
            self.title = title
            self.rows = rows
            isEmpty = rows.isEmpty
        }
    }

    let sections: [Section]
    let unfinishedTurns: DashboardModel.Turns
    /// Why the turns could not be read; empty when they were.
    let turnsError: String
    /// Stored for the template: Mustache treats an empty string as true.
    let hasTurnsError: Bool
    let limit: String

    init(sections: [Section], unfinishedTurns: [PortalTurnRow]?, turnsError: String, limit: Duration) {
        self.sections = sections
        self.unfinishedTurns = DashboardModel.turns(unfinishedTurns ?? [], empty: "Every recent turn finished.")
        self.turnsError = turnsError
        hasTurnsError = !turnsError.isEmpty
        self.limit = limit.shortDescription
    }

    /// Runs every check concurrently, each within `limit`; the sections keep the checks' order.
    static func collect(_ checks: [DiagnosticsCheck], limit: Duration) async -> [Section] {
        await withTaskGroup(of: (Int, Section).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask {
                    do {
                        let rows = try await withTimeLimit(limit, orThrow: { DiagnosticsTimedOut(limit: limit) }) {
                            try await check.run()
                        }
                        return (index, Section(title: check.title, rows: rows.map { Row(name: $0.0, value: $0.1, isError: false) }))
                    } catch {
                        return (index, Section(title: check.title, rows: [Row(name: "error", value: "\(error)", isError: true)]))
                    }
                }
            }
            var sections: [(Int, Section)] = []
            for await section in group { sections.append(section) }
            return sections.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// `value` as rows: nested objects flattened with dotted names (`contexts.ctx_1.time.state`),
    /// arrays by index, keys sorted; a plain value is one row named `name`.
    static func rows(_ value: JSONValue, name: String = "") -> [(String, String)] {
        if name.isEmpty, value.objectValue == nil { return rows(value, name: "value") }
        let join = { (key: String) in name.isEmpty ? key : "\(name).\(key)" }
        switch value {
        case .object(let fields):
            if fields.isEmpty { return [(name.isEmpty ? "(none)" : name, "none")] }
            return fields.keys.sorted().flatMap { rows(fields[$0]!, name: join($0)) }
        case .array(let items):
            if items.isEmpty { return [(name, "none")] }
            return items.enumerated().flatMap { rows($1, name: join(String($0))) }
        case .string(let text): return [(name, text)]
        case .bool(let flag): return [(name, flag ? "yes" : "no")]
        case .null: return [(name, "–")]
        case .number(let number):
            return [(name, number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number))]
        }
    }
}
