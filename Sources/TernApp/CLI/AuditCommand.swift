import ArgumentParser
import Foundation
import TernCore
import TernStore

/// `tern audit list`: the audit log, newest first, filtered like `GET /admin/api/v1/audit`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Read the audit log of changes.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List audit entries, newest first.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Only entries by this actor (a user id, or cli).") var actor: String?
        @Option(help: "Only this object: a type (credential) or type:id (credential:GITHUB_TOKEN).") var object: String?
        @Option(help: "Only entries at or after this ISO 8601 time.") var since: String?
        @Option(help: "Only entries before this ISO 8601 time.") var until: String?
        @Option(help: "How many entries (1 to 500).") var limit = 50

        func run() async throws {
            var query = AuditQuery(actor: actor, limit: limit)
            guard (1...500).contains(limit) else { throw CLIError("--limit must be from 1 to 500, got \(limit)") }
            if let object {
                let parts = object.split(separator: ":", maxSplits: 1).map(String.init)
                query.objectType = parts.first
                query.objectID = parts.count == 2 ? parts[1] : nil
            }
            query.since = try Self.date(since, "--since")
            query.until = try Self.date(until, "--until")
            try await AdminStores.with(options) { stores in
                let page = try await SQLAuditStore(database: stores.database).entries(query)
                printTable(
                    ["AT", "ACTOR", "VIA", "ACTION", "OBJECT", "CONTEXT", "FROM"],
                    page.entries.map {
                        [
                            format($0.at), $0.actor.actor, $0.actor.via.rawValue, $0.action, "\($0.objectType):\($0.objectID)",
                            $0.contextID?.rawValue ?? "-", $0.actor.from ?? "-",
                        ]
                    })
            }
        }

        static func date(_ raw: String?, _ flag: String) throws -> Date? {
            guard let raw else { return nil }
            guard let date = ISO8601DateFormatter().date(from: raw) else {
                throw CLIError("\(flag) must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got \(raw)")
            }
            return date
        }
    }
}

extension AdminStores {
    /// Writes one audit entry for a change the command line made (actor `cli`, via `cli`);
    /// `after` is masked (``AuditMask``). The one way CLI commands audit.
    func audit(
        _ action: String, object type: String, id: String, context: ContextID? = nil, after: JSONValue? = nil
    ) async throws {
        try await SQLAuditStore(database: database).record(
            AuditEntry(
                at: Date(), actor: .cli, action: action, objectType: type, objectID: id, contextID: context, after: after))
    }
}
