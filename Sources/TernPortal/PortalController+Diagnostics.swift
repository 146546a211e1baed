import Foundation
import Hummingbird
import Logging
import TernCore
import TernHTTP

extension PortalController {
    /// How long one diagnostics check may take before its row says so.
    static let diagnosticsLimit: Duration = .seconds(3)

    /// The parts `GET /admin/api/v1/diagnostics` reports, by its names, with their page titles;
    /// a missing optional part says what would turn it on.
    static let diagnosticsParts: [(name: String, title: String, absent: String?)] = [
        ("mcp", "MCP pool", nil), ("web_cache", "Web cache", "off (TERN_WEB_CACHE_MAX_ENTRIES or TERN_WEB_CACHE_TTL_SECONDS is 0)"),
        ("telegram", "Telegram", "not configured (TERN_TELEGRAM_TOKEN is empty)"),
        ("leader", "Leader election", "not running (nothing on this server runs leader-only)"),
        ("instance", "This instance", nil),
    ]

    /// `GET /admin/diagnostics`: admins only.
    @Sendable func diagnosticsPage(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            try visit.require(.administer)
            let limit = Self.diagnosticsLimit
            let sections = await DiagnosticsModel.collect(diagnosticsChecks(), limit: limit)
            var unfinished: [PortalTurnRow]?
            var turnsError = ""
            do {
                let queries = portal.queries
                let since = clock.now().addingTimeInterval(-14 * 86_400)
                unfinished = try await withTimeLimit(limit, orThrow: { DiagnosticsTimedOut(limit: limit) }) {
                    try await queries.dashboard(contexts: nil, since: since).unfinishedTurns
                }
            } catch {
                context.logger.warning("diagnostics: unfinished turns not read", metadata: ["error": "\(error)"])
                turnsError = "\(error)"
            }
            return PortalPage.render(
                "diagnostics", title: "Diagnostics",
                model: DiagnosticsModel(sections: sections, unfinishedTurns: unfinished, turnsError: turnsError, limit: limit),
                visit: visit, section: "Diagnostics")
        }
    }

    /// The database, the model server, then each named part.
    func diagnosticsChecks() -> [DiagnosticsCheck] {
        let store = storeHealth
        let schemaVersion = portal.schemaVersion
        let model = modelReachability
        var checks = [
            DiagnosticsCheck(title: "Database") {
                let start = ContinuousClock.now
                try await store.ping()
                let latency = (ContinuousClock.now - start) / .milliseconds(1)
                var rows = [("reachable", "yes"), ("latency of one check", String(format: "%.1f ms", latency))]
                if let schemaVersion {
                    rows.append(("schema version", try await schemaVersion().map(String.init) ?? "no migration applied"))
                }
                return rows
            },
            DiagnosticsCheck(title: "Model server") {
                switch model.current {
                case .notConfigured: [("state", "not configured (TERN_LLM_BASE_URL is empty)")]
                case .unknown: [("state", "unknown (no call or check has answered yet)")]
                case .reachable(let milliseconds): [("state", "reachable"), ("latest answer", "\(milliseconds) ms")]
                case .unreachable(let reason): [("state", "unreachable"), ("reason", reason)]
                }
            },
        ]
        for part in Self.diagnosticsParts {
            if let read = diagnostics[part.name] {
                checks.append(DiagnosticsCheck(title: part.title) { DiagnosticsModel.rows(await read()) })
            } else if let absent = part.absent {
                checks.append(DiagnosticsCheck(title: part.title) { [("state", absent)] })
            }
        }
        let known = Set(Self.diagnosticsParts.map(\.name))
        for (name, read) in diagnostics.sorted(by: { $0.key < $1.key }) where !known.contains(name) {
            checks.append(DiagnosticsCheck(title: name) { DiagnosticsModel.rows(await read()) })
        }
        return checks
    }
}
