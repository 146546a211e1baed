import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TernApp
import TernCore
import TernHTTP
import Testing

/// Sessions of the admin portal in `tern serve` (``LiveTern``): break-glass links, cookie flags with and
/// without a trusted proxy (a spoofed X-Forwarded-Proto from anyone else is ignored), logout.
@Suite struct PortalSessionTests {
    struct Rig {
        let tenants: any TenantStore
        let links: any LoginLinkStore
        let clock: OIDCTestClock
    }

    /// `tern serve` as configured by `environment` (`TERN_TRUSTED_PROXIES` for the proxy cases;
    /// the test client connects from 127.0.0.1), on a clock the test moves.
    static func run(
        environment: [String: String] = [:], _ body: @Sendable (Rig, any TestClientProtocol) async throws -> Void
    ) async throws {
        let clock = OIDCTestClock(Date())
        try await LiveTern.run(environment: environment, overrides: DependencyOverrides(clock: clock)) { dependencies, client in
            try await body(Rig(tenants: dependencies.tenants, links: dependencies.portal.loginLinks, clock: clock), client)
        }
    }

    static func link(_ rig: Rig, email: String = "ada@example.test") async throws -> String {
        let (user, _) = try await rig.tenants.provisionUser(email: email, displayName: "Ada", role: .admin)
        return try await rig.links.createLoginLink(for: user.id, expiresAt: rig.clock.now().addingTimeInterval(600))
    }

    /// The `name=value` part of a Set-Cookie value, to send back.
    static func pair(_ setCookie: String) -> String { String(setCookie.split(separator: ";")[0]) }

    @Test func loginLink_plainHTTP_setsHttpOnlyLaxCookieWithoutSecure() async throws {
        try await Self.run { rig, client in
            let token = try await Self.link(rig)
            let opened = try await client.execute(uri: "/admin/login-link/\(token)", method: .get)
            #expect(opened.status == .seeOther)
            #expect(opened.headers[.location] == "/admin/")
            let cookie = try #require(opened.headers[.setCookie])
            #expect(cookie.hasPrefix("tern_session="))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"))
            #expect(!cookie.contains("Secure"))
            let home = try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: Self.pair(cookie)])
            #expect(home.status == .ok)
            #expect(String(buffer: home.body).contains("Signed in as <strong>ada@example.test</strong>"))
        }
    }

    @Test func loginLink_worksOnce_andExpires() async throws {
        try await Self.run { rig, client in
            let token = try await Self.link(rig)
            #expect(try await client.execute(uri: "/admin/login-link/\(token)", method: .get).status == .seeOther)
            let again = try await client.execute(uri: "/admin/login-link/\(token)", method: .get)
            #expect(again.status == .gone)
            #expect(String(buffer: again.body).contains("already used"))
            let (user, _) = try await rig.tenants.provisionUser(email: "bo@example.test", displayName: "Bo", role: .user)
            let late = try await rig.links.createLoginLink(for: user.id, expiresAt: rig.clock.now().addingTimeInterval(600))
            rig.clock.advance(601)
            let expired = try await client.execute(uri: "/admin/login-link/\(late)", method: .get)
            #expect(expired.status == .gone)
            #expect(String(buffer: expired.body).contains("expired"))
            let bogus = try await client.execute(uri: "/admin/login-link/\(String(repeating: "x", count: 43))", method: .get)
            #expect(bogus.status == .notFound)
        }
    }

    @Test func trustedProxyWithHTTPS_setsSecureHostCookie() async throws {
        try await Self.run(environment: ["TERN_TRUSTED_PROXIES": "127.0.0.1/32"]) { rig, client in
            let token = try await Self.link(rig)
            let opened = try await client.execute(
                uri: "/admin/login-link/\(token)", method: .get, headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            let cookie = try #require(opened.headers[.setCookie])
            #expect(cookie.hasPrefix("__Host-tern_session="))
            #expect(cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))
            #expect(cookie.contains("Path=/") && !cookie.contains("Domain"))
            // Read only under the name its scheme uses: the same cookie over plain HTTP is not a session.
            let plain = try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: Self.pair(cookie)])
            #expect(plain.status == .unauthorized)
            let secure = try await client.execute(
                uri: "/admin/", method: .get,
                headers: [.cookie: Self.pair(cookie), HTTPField.Name("X-Forwarded-Proto")!: "https"])
            #expect(secure.status == .ok)
        }
    }

    @Test func spoofedForwardedProtoFromUntrustedPeer_isIgnored() async throws {
        try await Self.run(environment: ["TERN_TRUSTED_PROXIES": "10.0.0.0/8"]) { rig, client in
            let token = try await Self.link(rig)
            let opened = try await client.execute(
                uri: "/admin/login-link/\(token)", method: .get, headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            let cookie = try #require(opened.headers[.setCookie])
            #expect(cookie.hasPrefix("tern_session="))
            #expect(!cookie.contains("Secure"))
        }
    }

    @Test func logout_deletesTheSession() async throws {
        try await Self.run { rig, client in
            let token = try await Self.link(rig)
            let cookie = Self.pair(
                try #require(try await client.execute(uri: "/admin/login-link/\(token)", method: .get).headers[.setCookie]))
            // Logout is a change like any other: it needs the session's CSRF token (from any page).
            let home = String(buffer: try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: cookie]).body)
            let csrf = try #require(home.firstMatch(of: #/name="csrf-token" content="([^"]+)"/#)?.output.1)
            let out = try await client.execute(
                uri: "/admin/logout", method: .post,
                headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "csrf=\(csrf)"))
            #expect(out.status == .ok)
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
            // The old cookie, sent again anyway, no longer works.
            let after = try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: cookie])
            #expect(after.status == .unauthorized)
        }
    }

    @Test func session_endsAfterIdleAndAbsoluteTimeouts() async throws {
        try await Self.run { rig, client in
            let token = try await Self.link(rig)
            let cookie = Self.pair(
                try #require(try await client.execute(uri: "/admin/login-link/\(token)", method: .get).headers[.setCookie]))
            rig.clock.advance(29 * 60)
            #expect(try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: cookie]).status == .ok)
            rig.clock.advance(31 * 60)
            #expect(try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
            let second = try await Self.link(rig, email: "cy@example.test")
            let fresh = Self.pair(
                try #require(try await client.execute(uri: "/admin/login-link/\(second)", method: .get).headers[.setCookie]))
            for _ in 0..<25 {  // active every 29 minutes, still ended by the 12-hour limit
                rig.clock.advance(29 * 60)
                _ = try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: fresh])
            }
            #expect(try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: fresh]).status == .unauthorized)
        }
    }

    @Test func sessionLimits_comeFromTheConfiguration() async throws {
        let environment = ["TERN_ADMIN_SESSION_IDLE_MINUTES": "5", "TERN_ADMIN_SESSION_MAX_HOURS": "1"]
        try await Self.run(environment: environment) { rig, client in
            let token = try await Self.link(rig)
            let cookie = Self.pair(
                try #require(try await client.execute(uri: "/admin/login-link/\(token)", method: .get).headers[.setCookie]))
            rig.clock.advance(4 * 60)
            #expect(try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: cookie]).status == .ok)
            rig.clock.advance(6 * 60)
            #expect(try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
            let second = try await Self.link(rig, email: "cy@example.test")
            let fresh = Self.pair(
                try #require(try await client.execute(uri: "/admin/login-link/\(second)", method: .get).headers[.setCookie]))
            for _ in 0..<16 {  // active every 4 minutes, still ended by the 1-hour limit
                rig.clock.advance(4 * 60)
                _ = try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: fresh])
            }
            #expect(try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: fresh]).status == .unauthorized)
        }
    }
}
