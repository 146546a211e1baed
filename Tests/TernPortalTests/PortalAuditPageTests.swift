import Foundation
import HTTPTypes
import HummingbirdTesting
import TernApp
import TernCore
import TernHTTP
import Testing

/// The Audit log page through `tern serve`'s wiring: filters by actor (email or id) and object
/// (`type` or `type:id`) in the database, and an owner sees only the entries of the contexts they own.
@Suite struct PortalAuditPageTests {
    static func record(
        _ dependencies: Dependencies, actor: String, action: String, object: (String, String), in context: ContextID? = nil
    ) async throws {
        try await dependencies.http.audit.record(
            AuditEntry(
                at: Date(), actor: AuditActor(actor: actor, via: .cli), action: action, objectType: object.0,
                objectID: object.1, contextID: context))
    }

    @Test func filtersByActorAndObject() async throws {
        try await LiveTern.run { dependencies, client in
            let admin = try await PortalBrowser.signIn(dependencies, client, email: "admin@example.test")
            let (ann, _) = try await dependencies.tenants.provisionUser(email: "ann@example.test", displayName: "Ann", role: .user)
            try await Self.record(dependencies, actor: ann.id.rawValue, action: "context.rename", object: ("context", "ctx-1"))
            try await Self.record(dependencies, actor: ann.id.rawValue, action: "user.role", object: ("user", "u-9"))
            try await Self.record(dependencies, actor: "cli", action: "context.delete", object: ("context", "ctx-2"))

            let all = try await admin.get("/admin/audit")
            #expect(all.status == .ok)
            for action in ["context.rename", "user.role", "context.delete"] { #expect(all.html.contains(action)) }

            let byEmail = try await admin.get("/admin/audit?actor=ann%40example.test")
            #expect(byEmail.status == .ok)
            #expect(byEmail.html.contains("context.rename") && byEmail.html.contains("user.role"))
            #expect(!byEmail.html.contains("context.delete"))

            let byType = try await admin.get("/admin/audit?object=context")
            #expect(byType.html.contains("context.rename") && byType.html.contains("context.delete"))
            #expect(!byType.html.contains("user.role"))

            let byBoth = try await admin.get("/admin/audit?actor=\(ann.id.rawValue)&object=context%3Actx-1")
            #expect(byBoth.html.contains("context.rename"))
            #expect(!byBoth.html.contains("user.role") && !byBoth.html.contains("context.delete"))

            let unknown = try await admin.get("/admin/audit?actor=nobody%40example.test")
            #expect(unknown.status == .badRequest)
            #expect(unknown.html.contains("There is no user with the email &#39;nobody@example.test&#39;."))

            let damaged = try await admin.get("/admin/audit?cursor=garbage")
            #expect(damaged.status == .badRequest)
        }
    }

    @Test func owner_seesOwnContextsOnly() async throws {
        try await LiveTern.run { dependencies, client in
            let owner = try await PortalBrowser.signIn(dependencies, client, email: "owner@example.test", role: .user)
            let mine = try await dependencies.tenants.createContext(name: "mine", kind: .shared, owner: owner.user.id)
            try await Self.record(dependencies, actor: "cli", action: "mine.changed", object: ("context", "x"), in: mine.id)
            try await Self.record(dependencies, actor: "cli", action: "elsewhere.changed", object: ("context", "y"))

            let page = try await owner.get("/admin/audit")
            #expect(page.status == .ok)
            #expect(page.html.contains("mine.changed") && !page.html.contains("elsewhere.changed"))

            let stranger = try await PortalBrowser.signIn(dependencies, client, email: "s@example.test", role: .user)
            let theirs = try await stranger.get("/admin/audit")
            #expect(!theirs.html.contains("mine.changed") && !theirs.html.contains("elsewhere.changed"))
        }
    }
}
