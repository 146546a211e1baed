import Foundation
import HTTPTypes
import HummingbirdTesting
import TernApp
import TernCore
import TernHTTP
import Testing

/// The Credentials page: storing and deleting through forms, who may, the server's messages for
/// bad input, and a value that never comes back in any page, problem page or audit entry.
@Suite struct PortalCredentialsTests {
    static func formToken(_ browser: PortalBrowser, _ path: String = "/admin/credentials") async throws -> String {
        try PortalBrowser.hidden("idempotency", in: try await browser.get(path).html)
    }

    /// Every page an admin reaches from the navigation, and the pages of `context`.
    static func everyPage(_ context: ContextID, _ user: UserID) -> [String] {
        [
            "/admin/", "/admin/contexts", "/admin/conversations", "/admin/users", "/admin/approvals", "/admin/credentials",
            "/admin/mcp-servers", "/admin/skills", "/admin/diagnostics", "/admin/settings", "/admin/audit",
        ] + [
            "/admin/account", "/admin/contexts/\(context.rawValue)", "/admin/users/\(user.rawValue)",
            "/admin/credentials/\(context.rawValue)", "/admin/credentials?context=\(context.rawValue)",
            "/admin/mcp-servers/\(context.rawValue)",
        ]
    }

    @Test func store_thenTheValueIsInNoPageNoProblemPageAndNoAuditEntry() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: nil)
            let secret = "sk-live-\(UUID().uuidString)"
            let stored = try await browser.post(
                "/admin/credentials",
                ["context": team.id.rawValue, "name": "SEARCH_API_KEY", "value": secret, "idempotency": try await Self.formToken(browser)])
            #expect(stored.status == .seeOther)
            #expect(stored.headers[.location] == "/admin/credentials/\(team.id.rawValue)")
            #expect(try await dependencies.credentials.value(named: "SEARCH_API_KEY", in: team.id) == secret)

            let failed = try await browser.post(
                "/admin/credentials",
                ["context": team.id.rawValue, "name": "bad name", "value": secret, "idempotency": try await Self.formToken(browser)])
            #expect(failed.status == .badRequest)
            #expect(failed.html.contains("data-problem") && !failed.html.contains(secret))

            for path in Self.everyPage(team.id, browser.user.id) {
                let page = try await browser.get(path)
                #expect(page.status.code < 500, "\(path): \(page.status)")
                #expect(!page.html.contains(secret), "\(path) shows the credential's value")
            }
            let list = try await browser.get("/admin/credentials/\(team.id.rawValue)").html
            #expect(list.contains("SEARCH_API_KEY") && list.contains(#"type="password" name="value""#))
            #expect(list.contains(#"autocomplete="new-password""#))
            let entries = try await dependencies.http.audit.entries(AuditQuery(actor: browser.user.id.rawValue)).entries
            #expect(entries.map(\.action) == ["credential.store"])
            #expect(entries.first?.objectID == "SEARCH_API_KEY" && entries.first?.contextID == team.id)
            #expect(!"\(entries)".contains(secret), "the audit log holds the value")
        }
    }

    @Test func storeAgain_replacesTheValue_andDeleteRemovesIt_bothAudited() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: nil)
            for value in ["first", "second"] {
                let answer = try await browser.post(
                    "/admin/credentials",
                    ["context": team.id.rawValue, "name": "TOKEN", "value": value, "idempotency": try await Self.formToken(browser)])
                #expect(answer.status == .seeOther)
            }
            #expect(try await dependencies.credentials.list(in: team.id).map(\.name) == ["TOKEN"])
            #expect(try await dependencies.credentials.value(named: "TOKEN", in: team.id) == "second")
            let page = try await browser.get("/admin/credentials?context=\(team.id.rawValue)").html
            #expect(page.contains("replaces its value"))
            let deleteAction = "/admin/credentials/\(team.id.rawValue)/TOKEN/delete"
            #expect(page.contains(deleteAction) && page.contains("data-confirm="))
            #expect(try await browser.post(deleteAction, [:]).status == .seeOther)
            #expect(try await dependencies.credentials.list(in: team.id).isEmpty)
            let again = try await browser.post(deleteAction, [:])
            #expect(again.status == .notFound && again.html.contains("TOKEN"))
            let entries = try await dependencies.http.audit.entries(AuditQuery(actor: browser.user.id.rawValue)).entries
            #expect(entries.map(\.action) == ["credential.delete", "credential.store", "credential.store"])
            #expect(entries.last?.after == .object(["created": .bool(true)]) && entries[1].after == .object(["created": .bool(false)]))
        }
    }

    @Test func badName_andEmptyValue_are400sWithTheServersMessage_andStoreNothing() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: nil)
            let token = try await Self.formToken(browser)
            let bad = try await browser.post(
                "/admin/credentials", ["context": team.id.rawValue, "name": "1bad", "value": "v", "idempotency": token])
            #expect(bad.status == .badRequest)
            #expect(bad.html.contains("a credential name must start with a letter or &#39;_&#39;"))
            let empty = try await browser.post(
                "/admin/credentials", ["context": team.id.rawValue, "name": "GOOD", "value": "", "idempotency": token])
            #expect(empty.status == .badRequest)
            #expect(empty.html.contains("the value of credential &#39;GOOD&#39; is empty"))
            let noContext = try await browser.post("/admin/credentials", ["name": "GOOD", "value": "v", "idempotency": token])
            #expect(noContext.status == .badRequest && noContext.html.contains("The context is required"))
            #expect(try await dependencies.credentials.list(in: team.id).isEmpty)
            // The token was given back each time: the corrected form goes through.
            let fixed = try await browser.post(
                "/admin/credentials", ["context": team.id.rawValue, "name": "GOOD", "value": "v", "idempotency": token])
            #expect(fixed.status == .seeOther)
        }
    }

    @Test func ownerStoresInTheirContext_notInAnother_membersAndViewersNowhere() async throws {
        try await LiveTern.run { dependencies, client in
            let tenants = dependencies.tenants
            let (olga, _) = try await tenants.provisionUser(email: "olga@example.test", displayName: "Olga", role: .user)
            let mine = try await tenants.createContext(name: "mine", kind: .shared, owner: olga.id)
            let theirs = try await tenants.createContext(name: "theirs", kind: .shared, owner: nil)
            let owner = try await PortalBrowser.signIn(dependencies, client, email: "olga@example.test", role: .user)
            let list = try await owner.get("/admin/credentials")
            #expect(list.status == .ok && list.html.contains(">mine</option>") && !list.html.contains("theirs"))
            let fields = { (context: Context) in
                ["context": context.id.rawValue, "name": "K", "value": "v", "idempotency": AdminSession.makeToken()]
            }
            #expect(try await owner.post("/admin/credentials", fields(mine)).status == .seeOther)
            let refused = try await owner.post("/admin/credentials", fields(theirs))
            #expect(refused.status == .forbidden && refused.html.contains("not a member"))
            #expect(try await owner.get("/admin/credentials/\(theirs.id.rawValue)").status == .forbidden)
            #expect(try await dependencies.credentials.list(in: theirs.id).isEmpty)

            for role in [MemberRole.member, .viewer] {
                let email = "\(role.rawValue)@example.test"
                let (user, _) = try await tenants.provisionUser(email: email, displayName: email, role: .user)
                _ = try await tenants.addMember(user.id, to: mine.id, role: role)
                let browser = try await PortalBrowser.signIn(dependencies, client, email: email, role: .user)
                let page = try await browser.get("/admin/credentials")
                // Only their personal context (which they own) is offered, not the one they are a member of.
                #expect(page.status == .ok && !page.html.contains(">mine</option>"))
                #expect(try await browser.post("/admin/credentials", fields(mine)).status == .forbidden)
                #expect(try await browser.post("/admin/credentials/\(mine.id.rawValue)/K/delete", [:]).status == .forbidden)
                #expect(try await browser.get("/admin/credentials/\(mine.id.rawValue)").status == .forbidden)
            }
            #expect(try await dependencies.credentials.list(in: mine.id).map(\.name) == ["K"])
        }
    }

    @Test func visitorManagingNoContext_getsAPageSayingSo() async throws {
        try await LiveTern.run { dependencies, client in
            let tenants = dependencies.tenants
            let team = try await tenants.createContext(name: "team", kind: .shared, owner: nil)
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "vic@example.test", role: .user)
            for membership in try await tenants.memberships(of: browser.user.id) {
                try await tenants.removeMember(browser.user.id, from: membership.contextID)
            }
            _ = try await tenants.addMember(browser.user.id, to: team.id, role: .viewer)
            let page = try await browser.get("/admin/credentials")
            #expect(page.status == .ok && page.html.contains("You manage credentials in no context"))
            #expect(!page.html.contains(#"name="value""#))
        }
    }

    @Test func contextPage_linksToItsCredentials_forThoseWhoManageThem() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: nil)
            let page = try await browser.get("/admin/contexts/\(team.id.rawValue)")
            #expect(page.html.contains("href=\"/admin/credentials?context=\(team.id.rawValue)\""))
            let filtered = try await browser.get("/admin/credentials?context=\(team.id.rawValue)")
            #expect(filtered.status == .ok)
            #expect(filtered.html.contains("<option value=\"\(team.id.rawValue)\" selected>team</option>"))
        }
    }
}
