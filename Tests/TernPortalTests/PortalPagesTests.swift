import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TernApp
import TernCore
import Testing

/// The portal's layout, assets and dashboard through `tern serve`'s own wiring (``LiveTern``).
@Suite struct PortalPagesTests {
    static let navigation = [
        "Dashboard", "Contexts", "Conversations", "Users", "Approvals", "Credentials", "MCP servers", "Skills",
        "Diagnostics", "Settings", "Audit log",
    ]

    @Test func dashboard_rendersLayoutNavigationAndSecurityHeaders() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let page = try await browser.get("/admin/")
            #expect(page.status == .ok)
            let nav = try #require(page.html.firstMatch(of: #/<nav class="main"[\s\S]*?</nav>/#)).output
            #expect(nav.matches(of: #/>([^<>]+)</a>/#).map { String($0.output.1) } == Self.navigation)
            #expect(page.html.contains("Signed in as <strong>ada@example.test</strong>"))
            #expect(page.html.contains("My account") && page.html.contains("Sign out"))
            #expect(page.html.contains("<svg class=\"usage\""))
            #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            #expect(page.headers[.contentSecurityPolicy]?.contains("unsafe-inline") == false)
            #expect(!page.html.contains("<script>"), "no inline script")
            #expect(page.headers[.cacheControl] == "no-store")
        }
    }

    @Test func staticAssets_areVersionedAndImmutable() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let html = try await browser.get("/admin/").html
            let css = try #require(html.firstMatch(of: #/href="(/admin/static/portal\.[0-9a-f]{12}\.css)"/#)?.output.1)
            let js = try #require(html.firstMatch(of: #/src="(/admin/static/portal\.[0-9a-f]{12}\.js)" defer/#)?.output.1)
            for path in [css, js] {
                let asset = try await client.execute(uri: String(path), method: .get)
                #expect(asset.status == .ok)
                #expect(asset.headers[.cacheControl] == "public, max-age=31536000, immutable")
            }
            let stale = try await client.execute(uri: "/admin/static/portal.000000000000.css", method: .get)
            #expect(stale.status == .notFound)
        }
    }

    @Test func dashboard_countsAndEmptyStates() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let page = try await browser.get("/admin/")
            // The admin and the built-in local user.
            #expect(page.html.contains(#"<div class="number">2</div><div class="label">Users</div>"#))
            #expect(page.html.contains("No turns yet."))
            #expect(
                page.html.contains(#"<p class="muted">0 tokens in the last 14 days</p>"#),
                "the total is written out, not only in the chart's title")
        }
    }

    @Test func notSignedIn_withoutProvider_saysHowToSignIn() async throws {
        try await LiveTern.run { _, client in
            let page = try await client.execute(uri: "/admin/", method: .get)
            #expect(page.status == .unauthorized)
            #expect(String(buffer: page.body).contains("tern admin login-link"))
        }
    }

    @Test func logout_withoutCSRFToken_orCrossSite_isRefusedWithA403SayingWhy() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let refused = try await browser.post("/admin/logout", [:], csrf: .some(nil))
            #expect(refused.status == .forbidden)
            #expect(refused.html.contains("security token is missing"))
            #expect(try await browser.get("/admin/").status == .ok, "the session still works")
            let crossSite = try await browser.post(
                "/admin/logout", [:], headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"])
            #expect(crossSite.status == .forbidden)
            #expect(crossSite.html.contains("another site"))
            #expect(try await browser.get("/admin/").status == .ok)
        }
    }
}
