// tern-bench-portal: server time to render the admin portal's pages over a large store (1,000
// contexts, 100,000 conversations by default), with the SQL statements each render runs. The
// portal is Tern's real wiring (`Dependencies.live`, `buildApplication`), driven in process
// through HummingbirdTesting's router mode: the time is from handing the request to the router
// until the response body is complete, no socket. See docs/benchmarks.md, "Issue 17".
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import TernApp
import TernCore

let options: PortalBenchOptions
do { options = try PortalBenchOptions.parse(Array(CommandLine.arguments.dropFirst())) } catch {
    FileHandle.standardError.write(Data("tern-bench-portal: \(error)\n".utf8))
    exit(64)
}

do {
    try await withBenchStore(options) { environment, directory in
        try await run(options, environment: environment, directory: directory)
    }
} catch {
    FileHandle.standardError.write(Data("tern-bench-portal: \(error)\n".utf8))
    exit(1)
}

/// One page to time: its label, path and a text its HTML must contain.
struct BenchPage: Sendable {
    var label: String
    var path: String
    var expect: String
}

func run(_ options: PortalBenchOptions, environment: [String: String], directory: String) async throws {
    var logger = Logger(label: "tern.bench.portal")
    logger.logLevel = .warning
    let config = try TernConfig.load(
        environment: ["TERN_DATA_DIR": directory, "TERN_RATE_LIMIT_PER_MINUTE": "0", "TERN_HOST": "127.0.0.1", "TERN_PORT": "0"]
            .merging(environment) { $1 },
        workingDirectory: directory)
    let recorder = StatementRecorder()
    let dependencies = try await Dependencies.live(
        config: config, logger: logger, overrides: DependencyOverrides(databaseLogger: recorder.logger()))
    do {
        try await measure(options, config: config, dependencies: dependencies, recorder: recorder, logger: logger)
    } catch {
        try await dependencies.shutdown()
        throw error
    }
    try await dependencies.shutdown()
}

func measure(
    _ options: PortalBenchOptions, config: TernConfig, dependencies: Dependencies, recorder: StatementRecorder, logger: Logger
) async throws {
    let seeder = PortalSeeder(
        contexts: options.contexts, conversations: options.conversations, now: Date().microsecondsSince1970)
    let started = ContinuousClock.now
    try await seeder.seed(dependencies.database)
    if dependencies.database.dialect == .postgres {
        // What autovacuum would have done by the time an admin looks at a store this size.
        try await dependencies.database.write { db in try await db.raw("ANALYZE").run() }
    }
    report(
        "tern-bench-portal \(Date().formatted(.iso8601)): \(dependencies.database.dialect.rawValue), "
            + "\(options.contexts) contexts, \(seeder.users) users, \(options.conversations) conversations × "
            + "\(PortalSeeder.messagesPerConversation) messages; seeded in "
            + String(format: "%.1f s", (ContinuousClock.now - started) / .seconds(1))
            + "; \(options.iterations) timed renders per page after \(options.warmup) warm-up renders")
    try await dependencies.announceInstance()
    let (admin, _) = try await dependencies.tenants.provisionUser(email: "admin@bench.test", displayName: "Admin", role: .admin)
    let link = try await dependencies.portal.loginLinks.createLoginLink(for: admin.id, expiresAt: Date().addingTimeInterval(600))
    let app = buildApplication(config: config, dependencies: dependencies, logger: logger)
    try await app.test(.router) { client in
        let opened = try await client.execute(uri: "/admin/login-link/\(link)", method: .get)
        guard let setCookie = opened.headers[.setCookie] else {
            throw PortalBenchError("the login link answered \(opened.status) without a session cookie")
        }
        let browser = BenchBrowser(client: client, cookie: String(setCookie.split(separator: ";")[0]))
        let newest = PortalSeeder.conversationID(options.conversations - 1)
        var pages = [
            BenchPage(label: "dashboard /admin/", path: "/admin/", expect: "Dashboard"),
            BenchPage(label: "contexts, first page", path: "/admin/contexts", expect: seeder.contextName(0)),
            BenchPage(label: "contexts ?q=billing", path: "/admin/contexts?q=billing", expect: seeder.contextName(0)),
        ]
        pages.append(try await browser.follow("contexts, 11th page (cursor)", from: "/admin/contexts", pages: 10))
        pages += [
            BenchPage(
                label: "conversations, first page", path: "/admin/conversations", expect: "/admin/conversations/\(newest)"),
            BenchPage(label: "conversations ?q=zebra (1 in 100)", path: "/admin/conversations?q=zebra", expect: "zebra report"),
            BenchPage(
                label: "conversations ?q=quokka (no match)", path: "/admin/conversations?q=quokka",
                expect: "No conversations match."),
        ]
        pages.append(try await browser.follow("conversations, 11th page (cursor)", from: "/admin/conversations", pages: 10))
        pages.append(
            BenchPage(
                label: "transcript (4 messages)", path: "/admin/conversations/\(newest)",
                expect: "Question \(options.conversations - 1)"))
        report(pad("page", 38) + pad("server time, ms", 44) + pad("renders", 9) + "statements   HTML")
        for page in pages {
            // A slow page stops early: warm-up after a fifth of the budget, timing after all of it.
            let warmupEnd = ContinuousClock.now + options.budget / 5
            for _ in 0..<options.warmup where ContinuousClock.now < warmupEnd { _ = try await browser.render(page) }
            recorder.start()
            let html = try await browser.render(page)
            let statements = recorder.stop()
            var times: [Double] = []
            let end = ContinuousClock.now + options.budget
            for _ in 0..<options.iterations where times.count < 5 || ContinuousClock.now < end {
                let start = ContinuousClock.now
                _ = try await browser.render(page)
                times.append((ContinuousClock.now - start) / .milliseconds(1))
            }
            report(
                pad(page.label, 38) + pad("\(RenderTimes(times))", 44) + pad("\(times.count)", 9)
                    + pad("\(statements.count)", 13) + String(format: "%.1f kB", Double(html.utf8.count) / 1000))
            if options.showSQL {
                for statement in statements {
                    report("    " + statement.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "))
                }
            }
        }
    }
}

/// The signed-in admin's browser: GETs with the session cookie, checking each answer.
struct BenchBrowser: Sendable {
    let client: any TestClientProtocol
    let cookie: String

    /// The page's HTML; a failure unless it answered 200 and contains the expected text.
    func render(_ page: BenchPage) async throws -> String {
        let response = try await client.execute(uri: page.path, method: .get, headers: [.cookie: cookie])
        let html = String(buffer: response.body)
        guard response.status == .ok, html.contains(page.expect) else {
            throw PortalBenchError("\(page.path) answered \(response.status) without '\(page.expect)':\n\(html.prefix(2000))")
        }
        return html
    }

    /// The page reached from `path` by following its next-page link `pages` times.
    func follow(_ label: String, from path: String, pages: Int) async throws -> BenchPage {
        var path = path
        for _ in 0..<pages {
            let html = try await render(BenchPage(label: label, path: path, expect: "cursor="))
            guard let match = html.firstMatch(of: #/href="([^"]*cursor=[^"]*)"/#) else {
                throw PortalBenchError("\(path) has no next-page link")
            }
            path = String(match.output.1).replacingOccurrences(of: "&amp;", with: "&")
        }
        return BenchPage(label: label, path: path, expect: "cursor=")
    }
}

/// `text` padded with spaces to `width` characters.
func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0) }
