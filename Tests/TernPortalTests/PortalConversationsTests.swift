import Foundation
import HTTPTypes
import HummingbirdTesting
import TernApp
import TernCore
import TernHTTP
import Testing

/// The Conversations pages through `tern serve`'s wiring: the list (scoped, searched by text),
/// a transcript with what the agent did, and deleting one (CSRF-checked, audited).
@Suite struct PortalConversationsTests {
    /// Stores a conversation of `context` with `messages` (role, content, tool data) in one session.
    static func seed(
        _ dependencies: Dependencies, in context: ContextID, key: String, _ messages: [(Role, String, String?)]
    ) async throws -> ConversationID {
        let opened = try await dependencies.conversations.openSession(
            in: context, platform: "openai", platformID: "\(context.rawValue)/\(key)")
        for (role, content, toolData) in messages {
            _ = try await dependencies.conversations.append(
                NewMessage(sessionID: opened.session.id, role: role, content: content, toolData: toolData), in: context)
        }
        return opened.conversation.id
    }

    @Test func list_rendersForAnAdmin_andFiltersByText() async throws {
        try await LiveTern.run { dependencies, client in
            let (owner, _) = try await dependencies.tenants.provisionUser(email: "o@example.test", displayName: "O", role: .user)
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: owner.id)
            _ = try await Self.seed(dependencies, in: team.id, key: "a", [(.user, "Where is the zebra report?", nil)])
            _ = try await Self.seed(dependencies, in: team.id, key: "b", [(.user, "Book a flight to Oslo", nil)])
            let admin = try await PortalBrowser.signIn(dependencies, client, email: "admin@example.test")

            let all = try await admin.get("/admin/conversations")
            #expect(all.status == .ok)
            #expect(all.html.contains("Where is the zebra report?") && all.html.contains("Book a flight to Oslo"))
            #expect(all.html.contains("team"))

            let found = try await admin.get("/admin/conversations?q=ZEBRA")
            #expect(found.status == .ok)
            #expect(found.html.contains("Where is the zebra report?"))
            #expect(!found.html.contains("Book a flight to Oslo"))

            // A search form sends spaces as `+` (application/x-www-form-urlencoded).
            let phrase = try await admin.get("/admin/conversations?q=zebra+report")
            #expect(phrase.html.contains("Where is the zebra report?") && !phrase.html.contains("Book a flight"))

            let none = try await admin.get("/admin/conversations?q=nothing-like-this")
            #expect(none.html.contains("No conversations match."))

            let badDate = try await admin.get("/admin/conversations?since=2026-13-01")
            #expect(badDate.status == .badRequest)
            #expect(badDate.html.contains("From must be a date written YYYY-MM-DD, not &#39;2026-13-01&#39;"))
        }
    }

    @Test func owner_seesOnlyTheirContext_andIsRefusedAnotherTranscript() async throws {
        try await LiveTern.run { dependencies, client in
            let tenants = dependencies.tenants
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "owner-a@example.test", role: .user)
            let (other, _) = try await tenants.provisionUser(email: "owner-b@example.test", displayName: "B", role: .user)
            let contextA = try await tenants.createContext(name: "alpha", kind: .shared, owner: browser.user.id)
            let contextB = try await tenants.createContext(name: "beta", kind: .shared, owner: other.id)
            let inA = try await Self.seed(dependencies, in: contextA.id, key: "a", [(.user, "alpha question", nil)])
            let inB = try await Self.seed(dependencies, in: contextB.id, key: "b", [(.user, "beta secret question", nil)])

            let list = try await browser.get("/admin/conversations")
            #expect(list.status == .ok)
            #expect(list.html.contains("alpha question"))
            #expect(!list.html.contains("beta secret question"))

            let own = try await browser.get("/admin/conversations/\(inA.rawValue)")
            #expect(own.status == .ok && own.html.contains("alpha question"))

            let foreign = try await browser.get("/admin/conversations/\(inB.rawValue)")
            #expect(foreign.status == .forbidden)
            #expect(foreign.html.contains("data-problem"))
            #expect(!foreign.html.contains("beta secret question"))

            let deleteForeign = try await browser.post("/admin/conversations/\(inB.rawValue)/delete", [:])
            #expect(deleteForeign.status == .forbidden)
            #expect(try await dependencies.portal.conversations.transcript(of: inB, in: nil) != nil)
        }
    }

    @Test func transcript_showsAToolCall() async throws {
        try await LiveTern.run { dependencies, client in
            let admin = try await PortalBrowser.signIn(dependencies, client, email: "admin@example.test")
            let toolData = """
                {"route":"plan","tool_calls":[{"id":"call-1","tool":"web_fetch","arguments":"{\\"url\\":\\"https://example.test/<x>\\"}",\
                "output":"fetched 12 bytes","is_error":false}]}
                """
            let id = try await Self.seed(
                dependencies, in: .defaultContext, key: "t",
                [(.user, "fetch the page", nil), (.assistant, "The page says hello.", toolData)])

            let page = try await admin.get("/admin/conversations/\(id.rawValue)")
            #expect(page.status == .ok)
            #expect(page.html.contains("Tool call: web_fetch"))
            #expect(page.html.contains("{&quot;url&quot;:&quot;https://example.test/&lt;x&gt;&quot;}"))
            #expect(page.html.contains("fetched 12 bytes"))
            #expect(page.html.contains("route: plan"))
            #expect(!page.html.contains("(failed)"))
            #expect(!page.html.contains(">nil<"))

            let missing = try await admin.get("/admin/conversations/no-such-conversation")
            #expect(missing.status == .notFound)
        }
    }

    @Test func delete_needsCSRF_removesIt_andIsAuditedWithoutContent() async throws {
        try await LiveTern.run { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "owner@example.test", role: .user)
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: browser.user.id)
            let id = try await Self.seed(dependencies, in: team.id, key: "d", [(.user, "private words", nil)])
            let path = "/admin/conversations/\(id.rawValue)/delete"

            let page = try await browser.get("/admin/conversations/\(id.rawValue)")
            #expect(page.html.contains("action=\"\(path)\""))
            #expect(page.html.contains("name=\"csrf\" value=\"\(browser.csrf)\""))

            let noToken = try await browser.post(path, [:], csrf: .some(nil))
            #expect(noToken.status == .forbidden)
            let wrongToken = try await browser.post(path, [:], csrf: "forged")
            #expect(wrongToken.status == .forbidden)
            #expect(try await dependencies.portal.conversations.transcript(of: id, in: nil) != nil)

            let deleted = try await browser.post(path, [:])
            #expect(deleted.status == .seeOther || deleted.status == .found)
            #expect(deleted.headers[.location] == "/admin/conversations")
            #expect(try await dependencies.portal.conversations.transcript(of: id, in: nil) == nil)
            #expect(try await browser.get("/admin/conversations/\(id.rawValue)").status == .notFound)

            let entries = try await dependencies.http.audit.entries(AuditQuery(objectType: "conversation")).entries
            let entry = try #require(entries.first)
            #expect(entries.count == 1)
            #expect(entry.action == "conversation.delete" && entry.objectID == id.rawValue && entry.contextID == team.id)
            #expect(entry.actor.actor == browser.user.id.rawValue)
            #expect(entry.before?["messages"] == .number(1))
            #expect(entry.before?["total_usage"] == .number(0))
            let before = entry.before?.jsonText ?? ""
            #expect(!before.contains("private words"))

            let again = try await browser.post(path, [:])
            #expect(again.status == .notFound)
        }
    }
}
