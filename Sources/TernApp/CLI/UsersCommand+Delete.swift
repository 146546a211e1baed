import ArgumentParser
import Foundation
import TernCore

extension UsersCommand {
    /// `tern users delete <email>`: asks first (or `--yes`); the store refuses the last admin.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a user with their memberships, API keys and Telegram links, and each personal "
                + "context only they belong to. The last admin and the built-in local user cannot be deleted.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Email or user id.") var user: String
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let found = try await stores.user(user)
                let label = found.email ?? found.id.rawValue
                try confirm(try await Self.question(for: found, label: label, stores: stores), yes: yes)
                let contexts: [String]
                do {
                    contexts = try await stores.tenants.deleteUser(found.id)
                } catch let error as StoreError {
                    throw CLIError("\(label) was not deleted: \(error)")
                }
                let also = contexts.isEmpty ? "" : " and context " + contexts.map { "'\($0)'" }.joined(separator: ", ")
                print("deleted user \(label)\(also)")
            }
        }

        /// What will go, so the question is specific: keys, and the personal contexts no one
        /// else belongs to (the store decides; this is the preview).
        static func question(for user: User, label: String, stores: AdminStores) async throws -> String {
            let keys = try await stores.keys.keys(of: user.id).filter { $0.revokedAt == nil }.count
            let summaries = try await stores.tenants.contextSummaries()
            let personal = try await stores.tenants.memberships(of: user.id).filter { $0.contextKind == .personal }
                .compactMap { membership in
                    summaries.first { $0.context.id == membership.contextID && $0.memberCount == 1 }
                }
            var parts = ["Delete user \(label) (\(user.role.rawValue)) with \(keys) active API key\(keys == 1 ? "" : "s")"]
            for summary in personal {
                parts.append("personal context '\(summary.context.name)' (\(summary.conversationCount) conversations)")
            }
            return parts.joined(separator: " and ") + "?"
        }
    }
}
