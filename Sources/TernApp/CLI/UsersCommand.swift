import ArgumentParser
import Foundation
import TernCore

/// `tern users add|list|set-role|set-default-context|delete`.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Manage users.",
        subcommands: [Add.self, List.self, SetRole.self, SetDefaultContext.self, Delete.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user with a personal context (their default).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The user's email address.") var email: String
        @Option(help: "Display name (default: the email).") var name: String?
        @Option(help: "admin or user.") var role: UserRole = .user

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let (user, context) = try await stores.tenants.provisionUser(
                    email: email, displayName: name ?? email, role: role)
                print("added \(user.email ?? email) (\(user.id)), role \(user.role.rawValue), personal context '\(context.name)'")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let users = try await stores.tenants.users()
                printTable(
                    ["ID", "EMAIL", "NAME", "ROLE", "LAST SEEN"],
                    users.map { [$0.id.rawValue, $0.email ?? "-", $0.displayName, $0.role.rawValue, format($0.lastSeenAt)] })
            }
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-role", abstract: "Change a user's role (the last admin cannot be demoted).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Email or user id.") var user: String
        @Argument(help: "admin or user.") var role: UserRole

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let found = try await stores.user(user)
                let updated = try await stores.tenants.setRole(role, of: found.id)
                print("\(updated.email ?? updated.id.rawValue) is now \(updated.role.rawValue)")
            }
        }
    }

    struct SetDefaultContext: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-default-context",
            abstract: "Choose the context a user's requests use when they name none (the user must be a member).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Email or user id.") var user: String
        @Argument(help: "Context name or id.") var context: String

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let found = try await stores.user(user)
                let target = try await stores.context(context)
                let membership = try await stores.tenants.setDefaultContext(target.id, of: found.id)
                print("\(found.email ?? found.id.rawValue) now defaults to context '\(membership.contextName)'")
            }
        }
    }
}

extension UserRole: ExpressibleByArgument {}
extension MemberRole: ExpressibleByArgument {}
extension ContextKind: ExpressibleByArgument {}
