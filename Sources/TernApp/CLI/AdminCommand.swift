import ArgumentParser
import Foundation
import TernCore
import TernStore

/// `tern admin login-link`: break-glass sign-in to the admin portal, for a fresh install without
/// an identity provider or a locked-out admin.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Administer the admin portal.", subcommands: [LoginLink.self])

    struct LoginLink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "login-link",
            abstract: "Print a single-use link that signs a user in to the admin portal within 10 minutes.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Email or id of the user to sign in as (or 'local').") var user: String

        /// How long a printed link opens a session.
        static let lifetime: TimeInterval = 10 * 60

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let link = try await Self.link(for: user, stores: stores)
                print(link)
                FileHandle.standardError.write(
                    Data("this link signs in as \(user) once, within 10 minutes; it is stored only as a hash\n".utf8))
            }
        }

        /// `TERN_PUBLIC_URL/admin/login-link/<token>` for `reference`, its token stored as a keyed hash.
        static func link(for reference: String, stores: AdminStores, now: Date = Date()) async throws -> String {
            guard let publicURL = stores.config.portal.publicURL else {
                throw CLIError(
                    "TERN_PUBLIC_URL is empty: set it to the URL browsers reach Tern at (e.g. https://tern.example.com) so the link can be opened"
                )
            }
            let user = try await stores.user(reference)
            let secret = try stores.config.secretKey ?? SecretKeyFile.load(dataDir: stores.config.dataDir)
            let links = SQLLoginLinkStore(database: stores.database, hasher: APIKeyHasher(secretKey: secret))
            let token = try await links.createLoginLink(for: user.id, expiresAt: now.addingTimeInterval(lifetime))
            // Break-glass sign-in is the kind of change an audit must show (never the token).
            try await stores.audit("login_link.create", object: "user", id: user.id.rawValue)
            return "\(publicURL)/admin/login-link/\(token)"
        }
    }
}
