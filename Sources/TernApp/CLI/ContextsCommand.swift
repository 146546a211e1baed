import ArgumentParser
import Foundation
import TernCore

/// `tern contexts add|list|rename|delete|members [list|add|set-role|remove]`.
struct ContextsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contexts", abstract: "Manage contexts (tenants) and their members.",
        subcommands: [Add.self, List.self, Rename.self, Delete.self, Members.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a context.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Name: lower-case letters, digits, '-', '_', '.'.") var name: String
        @Option(help: "shared or personal.") var kind: ContextKind = .shared
        @Option(help: "Email or id of the owner.") var owner: String?

        func validate() throws {
            if let problem = ContextName.problem(with: name) { throw ValidationError("context name '\(name)' \(problem)") }
        }

        func run() async throws {
            try await AdminStores.with(options) { stores in
                var ownerID: UserID?
                if let owner { ownerID = try await stores.user(owner).id }
                let context = try await stores.tenants.createContext(name: name, kind: kind, owner: ownerID)
                print("added context '\(context.name)' (\(context.id))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List contexts with what they hold.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let summaries = try await stores.tenants.contextSummaries()
                printTable(
                    ["ID", "NAME", "KIND", "MEMBERS", "CONVERSATIONS", "MESSAGES"],
                    summaries.map {
                        [
                            $0.context.id.rawValue, $0.context.name, $0.context.kind.rawValue, String($0.memberCount),
                            String($0.conversationCount), $0.messageCount.map(String.init) ?? "-",
                        ]
                    })
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a context and everything it holds (conversations, messages, keys scoped to it).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Name or id.") var context: String
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let found = try await stores.context(context)
                guard found.id != .defaultContext else { throw CLIError("the default context cannot be deleted") }
                let summary = try await stores.tenants.contextSummaries().first { $0.context.id == found.id }
                try confirm(
                    "Delete context '\(found.name)' with \(summary?.conversationCount ?? 0) conversations and "
                        + "\(summary?.messageCount.map(String.init) ?? "its") messages?", yes: yes)
                try await stores.tenants.deleteContext(found.id)
                print("deleted context '\(found.name)'")
            }
        }
    }

    struct Rename: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rename a context (its id, members, conversations and keys stay).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Current name or id.") var context: String
        @Argument(help: "New name: lower-case letters, digits, '-', '_', '.'.") var newName: String

        func validate() throws {
            if let problem = ContextName.problem(with: newName) {
                throw ValidationError("context name '\(newName)' \(problem)")
            }
        }

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let found = try await stores.context(context)
                let renamed = try await stores.tenants.renameContext(found.id, to: newName)
                print("renamed context '\(found.name)' to '\(renamed.name)' (\(renamed.id))")
                // Per-context skills are found by the context's name.
                let skills = stores.config.agent.contextSkillsDir
                let old = TernConfig.resolve(found.name, in: skills)
                if found.name != renamed.name, FileManager.default.fileExists(atPath: old) {
                    print("note: its skills are read from \(TernConfig.resolve(renamed.name, in: skills)) now; move \(old) there")
                }
            }
        }
    }
}
