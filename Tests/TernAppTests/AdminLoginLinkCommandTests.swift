import ArgumentParser
import Foundation
import TernCore
import TernStore
import Testing
@testable import TernApp

/// `tern admin login-link` prints `TERN_PUBLIC_URL/admin/login-link/<token>` whose token the portal
/// redeems once for that user; without TERN_PUBLIC_URL or for an unknown user it fails clearly.
@Suite(.timeLimit(.minutes(1))) struct AdminLoginLinkCommandTests {
    let base = AdminCommandTests()

    /// The test's stores with `publicURL` as TERN_PUBLIC_URL.
    func withStores(publicURL: String?, _ body: (AdminStores) async throws -> Void) async throws {
        try await base.withStores { stores in
            var config = stores.config
            config.portal.publicURL = publicURL
            try await body(AdminStores(tenants: stores.tenants, keys: stores.keys, database: stores.database, config: config))
        }
    }

    @Test func link_isTheirsOnce() async throws {
        try await withStores(publicURL: "https://tern.example.com") { stores in
            let (ada, _) = try await stores.tenants.provisionUser(email: "ada@example.com", displayName: "Ada", role: .admin)
            let link = try await AdminCommand.LoginLink.link(for: "ada@example.com", stores: stores)
            let prefix = "https://tern.example.com/admin/login-link/"
            #expect(link.hasPrefix(prefix))
            let token = String(link.dropFirst(prefix.count))
            let secret = try SecretKeyFile.load(dataDir: stores.config.dataDir)
            let links = SQLLoginLinkStore(database: stores.database, hasher: APIKeyHasher(secretKey: secret))
            #expect(try await links.redeemLoginLink(token) == .user(ada.id))
            #expect(try await links.redeemLoginLink(token) == .used)
            let audited = try await SQLAuditStore(database: stores.database).entries(AuditQuery())
            #expect(audited.entries.map(\.action) == ["login_link.create"])
            #expect(audited.entries.first?.objectID == ada.id.rawValue)
            #expect(audited.entries.first?.actor.via == .cli)
        }
    }

    @Test func withoutPublicURL_failsNamingTheKey() async throws {
        try await withStores(publicURL: nil) { stores in
            _ = try await stores.tenants.provisionUser(email: "ada@example.com", displayName: "Ada", role: .admin)
            let error = await base.failure { _ = try await AdminCommand.LoginLink.link(for: "ada@example.com", stores: stores) }
            #expect(error?.hasPrefix("TERN_PUBLIC_URL is empty") == true, "\(error ?? "no error")")
        }
    }

    @Test func unknownUser_failsNamingIt() async throws {
        try await withStores(publicURL: "https://tern.example.com") { stores in
            let error = await base.failure { _ = try await AdminCommand.LoginLink.link(for: "nobody@example.com", stores: stores) }
            #expect(error == "no user 'nobody@example.com' (give an email, a user id or 'local')")
        }
    }

    @Test func command_parsesFromTheCLI() throws {
        let command = try TernCommand.parseAsRoot(["admin", "login-link", "ada@example.com"])
        #expect((command as? AdminCommand.LoginLink)?.user == "ada@example.com")
    }
}
