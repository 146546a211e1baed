import Foundation
import HTTPTypes
import TernCore
import Testing

@testable import TernPortal

/// The Diagnostics page: every part in a table, a part that fails or hangs as a row with its
/// error while the page still renders.
@Suite struct PortalDiagnosticsPageTests {
    struct Broken: Error, CustomStringConvertible {
        var description: String { "the pool is on fire" }
    }

    @Test func admin_seesEachPartAsRows() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let page = try await browser.get("/admin/diagnostics")
            #expect(page.status == .ok)
            for title in ["Database", "Model server", "MCP pool", "Telegram", "This instance", "Turns that did not finish"] {
                #expect(page.html.contains("<h2>\(title)</h2>"), "\(title)")
            }
            #expect(page.html.contains(#"<th scope="row"><code>reachable</code></th><td>yes</td>"#))
            #expect(page.html.contains(#"<th scope="row"><code>schema version</code></th><td>"#))
            #expect(page.html.contains(#"<th scope="row"><code>connections</code></th><td>0</td>"#), "MCP pool flattened")
            #expect(page.html.contains("not configured (TERN_TELEGRAM_TOKEN is empty)"))
            #expect(!page.html.contains("{\""), "no raw JSON")
            #expect(page.html.contains("Every recent turn finished."))
            #expect(!page.html.contains("Could not read them"))
        }
    }

    @Test func aCheckThatThrowsOrHangs_isARowWithItsError_andThePageRenders() async throws {
        let (never, _) = AsyncStream<Int>.makeStream()
        let checks = [
            DiagnosticsCheck(title: "Fine") { [("state", "ok")] },
            DiagnosticsCheck(title: "Throws") { throw Broken() },
            DiagnosticsCheck(title: "Hangs") {
                for await _ in never {}  // never yields; ends only when cancelled
                return [("state", "cancelled")]
            },
        ]
        let sections = await DiagnosticsModel.collect(checks, limit: .milliseconds(200))
        #expect(sections.map(\.title) == ["Fine", "Throws", "Hangs"])
        #expect(sections[0].rows.map(\.value) == ["ok"])
        #expect(sections[1].rows.map(\.value) == ["the pool is on fire"] && sections[1].rows[0].isError)
        #expect(sections[2].rows.map(\.value) == ["no answer within 200ms"] && sections[2].rows[0].isError)
        let html = PortalPage.text(
            "diagnostics", title: "Diagnostics",
            model: DiagnosticsModel(sections: sections, unfinishedTurns: nil, turnsError: "database is locked", limit: .seconds(3)),
            visit: nil)
        #expect(html.contains("<td><strong>the pool is on fire</strong></td>"))
        #expect(html.contains("<td><strong>no answer within 200ms</strong></td>"))
        #expect(html.contains("Could not read them: database is locked"))
    }

    @Test func rows_flattenNestedObjectsWithDottedNames() {
        let value: JSONValue = .object([
            "connections": .number(2),
            "contexts": .object(["c1": .object(["time": .object(["state": .string("ready"), "latency_ms": .number(1.5)])])]),
            "flags": .array([.bool(true), .null]),
        ])
        let rows = DiagnosticsModel.rows(value)
        #expect(rows.map(\.0) == ["connections", "contexts.c1.time.latency_ms", "contexts.c1.time.state", "flags.0", "flags.1"])
        #expect(rows.map(\.1) == ["2", "1.5", "ready", "yes", "–"])
        let instance = DiagnosticsModel.rows(.string("d1a75736"))
        #expect(instance.map(\.0) == ["value"] && instance.map(\.1) == ["d1a75736"], "a plain value gets a name")
    }
}
