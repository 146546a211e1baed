import Foundation
import HTTPTypes
import TernApp
import TernCore
import TernHTTP
import TernTesting
import Testing

/// No N+1 on the portal's list pages: a page runs as many SQL statements with 60 rows in the
/// store (a full page of 50 and a next page) as with 5, session check and caches included. The
/// statements are those SQLiteKit logs at debug level (as ``TurnStatementsTests`` of TernHTTPTests
/// counts them); a count, never a time.
@Suite(.timeLimit(.minutes(2))) struct PortalStatementCountTests {
    /// A clock that stands still, so the session's last-seen time is never refreshed between
    /// renders (an `UPDATE` every 30 s otherwise, whenever the machine is slow enough).
    struct StoppedClock: WallClock {
        let instant: Date
        func now() -> Date { instant }
    }

    static let pages = [
        "/admin/", "/admin/contexts", "/admin/conversations", "/admin/audit", "/admin/credentials", "/admin/mcp-servers",
    ]

    /// Adds contexts, conversations (a question and an answer each, in the new contexts), audit
    /// entries, a credential and an MCP server (disabled, so nothing starts it) numbered `range`;
    /// returns the new contexts.
    @discardableResult
    static func seed(_ dependencies: Dependencies, _ range: Range<Int>, owner: UserID) async throws -> [ContextID] {
        var contexts: [ContextID] = []
        for index in range {
            let context = try await dependencies.tenants.createContext(
                name: String(format: "team-%03d", index), kind: .shared, owner: owner)
            _ = try await PortalConversationsTests.seed(
                dependencies, in: context.id, key: "k\(index)",
                [(.user, "question \(index)", nil), (.assistant, "answer \(index)", nil)])
            try await dependencies.http.audit.record(
                AuditEntry(
                    at: Date(), actor: AuditActor(actor: owner.rawValue, via: .portal), action: "context.create",
                    objectType: "context", objectID: context.id.rawValue, contextID: context.id))
            _ = try await dependencies.credentials.set("secret-\(index)", named: "TOKEN", in: context.id, by: owner)
            _ = try await dependencies.mcpAdmin.add(
                MCPServerDefinition(name: String(format: "tools-%03d", index), transport: .stdio, command: "/bin/sh", enabled: false),
                in: context.id)
            contexts.append(context.id)
        }
        return contexts
    }

    /// The statements of one render of each page, after a render that fills the caches and a
    /// change of an MCP server that empties the MCP servers' cache (a per-context read of them
    /// would hide behind a warm cache, and runs after every change).
    static func count(_ browser: PortalBrowser, _ log: SQLStatementLog, changeServers: () async throws -> Void) async throws
        -> [String: [String]]
    {
        var counted: [String: [String]] = [:]
        for page in pages {
            #expect(try await browser.get(page).status == .ok, "\(page)")
            try await changeServers()
            _ = log.drain()
            let rendered = try await browser.get(page)
            counted[page] = log.drain().filter { !SQLStatementLog.isBackground($0) }
            #expect(rendered.status == .ok, "\(page)")
        }
        return counted
    }

    @Test func listPages_runAsManyStatementsWith60RowsAsWith5() async throws {
        let log = SQLStatementLog()
        let overrides = DependencyOverrides(
            cacheMaxAge: .seconds(3600), databaseLogger: log.logger(),
            clock: StoppedClock(instant: Date()))
        try await LiveTern.run(overrides: overrides) { dependencies, client in
            let admin = try await PortalBrowser.signIn(dependencies, client, email: "admin@example.test")
            let first = try await Self.seed(dependencies, 0..<5, owner: admin.user.id)[0]
            let changeServers = { _ = try await dependencies.mcpAdmin.setEnabled(false, named: "tools-000", in: first) }
            let few = try await Self.count(admin, log, changeServers: changeServers)
            try await Self.seed(dependencies, 5..<60, owner: admin.user.id)
            let many = try await Self.count(admin, log, changeServers: changeServers)

            for page in Self.pages {
                let small = try #require(few[page])
                let large = try #require(many[page])
                #expect(!small.isEmpty, "\(page) ran no statement: is the recorder still wired?")
                #expect(
                    small.count == large.count,
                    "\(page): \(small.count) statements with 5 rows, \(large.count) with 60:\n\(large.joined(separator: "\n"))")
            }
            // 60 rows fill a page: each list links to its second page.
            for page in ["/admin/contexts", "/admin/conversations", "/admin/audit"] {
                #expect(try await admin.get(page).html.contains("cursor="), "\(page) has no next page")
            }
            // The one read per page still shows each context's items.
            #expect(try await admin.get("/admin/credentials").html.contains("TOKEN"))
            #expect(try await admin.get("/admin/mcp-servers").html.contains("tools-000"))
        }
    }
}
