import Foundation
import HTTPTypes
import HummingbirdTesting
import TernApp
import TernCore
import TernHTTP
import Testing

/// Create forms are idempotent (the same form posted twice makes one object and the second post
/// goes to the first one's result), every change lands in the audit log, and credential values
/// never reach a page.
@Suite struct PortalFormsTests {
    static func formToken(_ browser: PortalBrowser, _ path: String) async throws -> String {
        try PortalBrowser.hidden("idempotency", in: try await browser.get(path).html)
    }

    @Test func createContext_postedTwice_createsOne_andRedirectsBothToIt() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let fields = ["name": "team-a", "kind": "shared", "idempotency": try await Self.formToken(browser, "/admin/contexts")]
            let first = try await browser.post("/admin/contexts", fields)
            let second = try await browser.post("/admin/contexts", fields)
            #expect(first.status == .seeOther && second.status == .seeOther)
            let location = try #require(first.headers[.location])
            #expect(location.hasPrefix("/admin/contexts/"))
            #expect(second.headers[.location] == location)
            #expect(try await dependencies.tenants.contextSummaries().filter { $0.context.name == "team-a" }.count == 1)
            let detail = try await browser.get(location)
            #expect(detail.status == .ok && detail.html.contains("Context team-a"))
            let audit = try await dependencies.http.audit.entries(AuditQuery(actor: browser.user.id.rawValue))
            #expect(audit.entries.map(\.action) == ["context.create"])
            #expect(audit.entries.first?.actor.via == .portal)
        }
    }

    @Test func createContext_failed_givesTheTokenBack_andSaysWhy() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let token = try await Self.formToken(browser, "/admin/contexts")
            let bad = try await browser.post("/admin/contexts", ["name": "Bad Name!", "idempotency": token])
            #expect(bad.status == .badRequest)
            #expect(bad.html.contains("data-problem") && bad.html.contains("may contain only lower-case letters"))
            #expect(try await browser.post("/admin/contexts", ["name": "fixed", "idempotency": token]).status == .seeOther)
            let again = ["name": "fixed", "idempotency": try await Self.formToken(browser, "/admin/contexts")]
            let taken = try await browser.post("/admin/contexts", again)
            #expect(taken.status == .conflict)
            #expect(taken.html.contains("data-problem"))
        }
    }

    @Test func createForm_withoutIdempotencyToken_isRefused() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let refused = try await browser.post("/admin/contexts", ["name": "x1"])
            #expect(refused.status == .badRequest)
            #expect(refused.html.contains("idempotency token"))
            #expect(try await dependencies.tenants.context(named: "x1") == nil)
        }
    }

    @Test func members_addChangeRemove_audited() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let (bo, _) = try await dependencies.tenants.provisionUser(email: "bo@example.test", displayName: "Bo", role: .user)
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: browser.user.id)
            let base = "/admin/contexts/\(team.id.rawValue)"
            let added = try await browser.post(
                base + "/members",
                ["email": "bo@example.test", "role": "viewer", "idempotency": try await Self.formToken(browser, base)])
            #expect(added.status == .seeOther)
            #expect(try await dependencies.tenants.members(of: team.id).first { $0.userID == bo.id }?.role == .viewer)
            let changed = try await browser.post(base + "/members/\(bo.id.rawValue)/role", ["role": "member"])
            #expect(changed.status == .seeOther)
            #expect(try await dependencies.tenants.members(of: team.id).first { $0.userID == bo.id }?.role == .member)
            let removed = try await browser.post(base + "/members/\(bo.id.rawValue)/remove", [:])
            #expect(removed.status == .seeOther)
            #expect(try await dependencies.tenants.members(of: team.id).contains { $0.userID == bo.id } == false)
            let entries = try await dependencies.http.audit.entries(AuditQuery(actor: browser.user.id.rawValue)).entries
            #expect(entries.map(\.action) == ["member.remove", "member.role", "member.add"])
        }
    }

    @Test func credentialValue_neverAppearsInAPage() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: browser.user.id)
            let secret = "s3cr3t-value-\(UUID().uuidString)"
            try await dependencies.credentials.set(secret, named: "GITHUB_TOKEN", in: team.id, by: browser.user.id)
            let pages = [
                "/admin/", "/admin/contexts", "/admin/contexts/\(team.id.rawValue)", "/admin/users",
                "/admin/users/\(browser.user.id.rawValue)", "/admin/account", "/admin/approvals",
            ]
            for path in pages {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(!page.html.contains(secret), "\(path) shows the credential's value")
            }
            #expect(try await browser.get("/admin/contexts/\(team.id.rawValue)").html.contains("GITHUB_TOKEN"))
        }
    }

    @Test func apiKey_isShownOnce_andTheSameFormTwiceMakesOneKey() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let fields = ["name": "laptop", "idempotency": try await Self.formToken(browser, "/admin/account")]
            let first = try await browser.post("/admin/account/keys", fields)
            #expect(first.status == .ok)
            let secret = try #require(first.html.firstMatch(of: #/id="new-key">([^<]+)</#)?.output.1)
            let second = try await browser.post("/admin/account/keys", fields)
            #expect(second.status == .seeOther && second.headers[.location] == "/admin/account")
            #expect(try await dependencies.apiKeys.keys(of: browser.user.id).count == 1)
            #expect(!(try await browser.get("/admin/account").html.contains(String(secret))))
        }
    }
}
