import ArgumentParser
import Foundation
import TernCore

/// `tern keys create|list|revoke`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key; the secret is printed once.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Email or id of the key's user.") var user: String
        @Option(help: "A name to recognise the key by.") var name: String
        @Option(help: "Limit the key to this context (name or id).") var context: String?

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let owner = try await stores.user(user)
                var restriction: ContextID?
                if let context { restriction = try await stores.context(context).id }
                let (record, secret) = try await stores.keys.createKey(for: owner.id, context: restriction, name: name)
                print(secret)
                FileHandle.standardError.write(
                    Data("created key \(record.id) (\(record.prefix)…) for \(user); this is the only time it is shown\n".utf8))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API keys (never their secrets).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Only this user's keys (email or id).") var user: String?

        func run() async throws {
            try await AdminStores.with(options) { stores in
                var owner: UserID?
                if let user { owner = try await stores.user(user).id }
                let keys = try await stores.keys.keys(of: owner)
                printTable(
                    ["ID", "PREFIX", "NAME", "USER", "CONTEXT", "LAST USED", "REVOKED"],
                    keys.map {
                        [
                            $0.id, $0.prefix + "…", $0.name, $0.userID.rawValue, $0.contextID?.rawValue ?? "-",
                            format($0.lastUsedAt), format($0.revokedAt),
                        ]
                    })
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key; it stops working at once.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The key's id (see `tern keys list`).") var id: String
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func run() async throws {
            try await AdminStores.with(options) { stores in
                try confirm("Revoke key \(id)?", yes: yes)
                let record = try await stores.keys.revoke(id, at: Date())
                print("revoked \(record.prefix)… (\(record.name))")
            }
        }
    }
}
