import ArgumentParser
import Foundation
import TernCore

extension ContextsCommand {
    /// `tern contexts members <context>` lists; `add`, `set-role` and `remove` change.
    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, add, re-role or remove the members of a context.",
            subcommands: [ListMembers.self, AddMember.self, SetMemberRole.self, RemoveMember.self],
            defaultSubcommand: ListMembers.self)
    }

    struct ListMembers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List a context's members with their roles (the default).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let found = try await stores.context(context)
                let members = try await stores.tenants.members(of: found.id)
                guard !members.isEmpty else {
                    print("context '\(found.name)' has no members")
                    return
                }
                printTable(Self.header, Self.rows(members, users: try await stores.tenants.users()))
            }
        }

        static let header = ["USER", "EMAIL", "NAME", "ROLE", "DEFAULT"]

        /// One row per member; DEFAULT says whether this is the member's default context.
        static func rows(_ members: [Membership], users: [User]) -> [[String]] {
            let byID = Dictionary(users.map { ($0.id, $0) }) { first, _ in first }
            return members.map { member in
                let user = byID[member.userID]
                return [
                    member.userID.rawValue, user?.email ?? "-", user?.displayName ?? "-", member.role.rawValue,
                    member.isDefault ? "yes" : "no",
                ]
            }
        }
    }

    struct AddMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a member (or change a role).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String
        @Argument(help: "User email or id.") var user: String
        @Option(help: "owner, member or viewer.") var role: MemberRole = .member

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let membership = try await stores.tenants.addMember(
                    try await stores.user(user).id, to: try await stores.context(context).id, role: role)
                print("\(user) is \(membership.role.rawValue) of '\(membership.contextName)'")
            }
        }
    }

    struct SetMemberRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-role", abstract: "Change the role of someone who is already a member.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String
        @Argument(help: "User email or id.") var user: String
        @Argument(help: "owner, member or viewer.") var role: MemberRole

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let found = try await stores.context(context)
                let member = try await stores.user(user)
                guard try await stores.tenants.members(of: found.id).contains(where: { $0.userID == member.id }) else {
                    throw CLIError(
                        "\(user) is not a member of '\(found.name)'; add them with: tern contexts members add \(found.name) \(user) --role \(role.rawValue)"
                    )
                }
                let membership = try await stores.tenants.addMember(member.id, to: found.id, role: role)
                print("\(user) is \(membership.role.rawValue) of '\(membership.contextName)'")
            }
        }
    }

    struct RemoveMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a member.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String
        @Argument(help: "User email or id.") var user: String
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let found = try await stores.context(context)
                let member = try await stores.user(user)
                try confirm("Remove \(user) from '\(found.name)'?", yes: yes)
                try await stores.tenants.removeMember(member.id, from: found.id)
                print("removed \(user) from '\(found.name)'")
            }
        }
    }
}
