import ArgumentParser
import Foundation
import TernCore
import TernStore

/// `tern credentials set|list|delete`: a context's named secrets. A value is read from standard
/// input (piped) or a prompt that does not echo, never from the command line (where `ps` and
/// shell history would show it), and is never printed.
struct CredentialsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials", abstract: "Set, list and delete a context's credentials (${cred:NAME}).",
        subcommands: [Set.self, List.self, Delete.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a credential's value, read from standard input or a hidden prompt.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String
        @Argument(help: "Credential name (letters, digits, _ - .).") var name: String

        func run() async throws { try await set(input: .terminal) }

        func set(input: SecretInput) async throws {
            if let problem = CredentialName.problem(with: name) { throw CLIError(problem) }
            try await CredentialsCommand.withVault(options) { vault, stores in
                let found = try await stores.context(context)
                let value = try input.read("Value of \(name) (not shown): ")
                let (_, created) = try await vault.set(value, named: name, in: found.id, by: .localUser)
                try await stores.audit(
                    "credential.set", object: "credential", id: name, context: found.id, after: ["created": .bool(created)])
                print("\(created ? "Stored" : "Replaced") credential \(name) in '\(found.name)'.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a context's credentials (never their values).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String

        func run() async throws {
            try await CredentialsCommand.withVault(options) { vault, stores in
                let found = try await stores.context(context)
                printTable(
                    ["NAME", "KEY", "UPDATED", "CREATED", "CREATED BY"],
                    try await vault.list(in: found.id).map {
                        [$0.name, $0.keyID, format($0.updatedAt), format($0.createdAt), $0.createdBy?.rawValue ?? "-"]
                    })
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a credential.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String
        @Argument(help: "Credential name.") var name: String

        func run() async throws {
            try await CredentialsCommand.withVault(options) { vault, stores in
                let found = try await stores.context(context)
                try await vault.delete(named: name, in: found.id)
                try await stores.audit("credential.delete", object: "credential", id: name, context: found.id)
                print("Deleted credential \(name) from '\(found.name)'.")
            }
        }
    }

    /// Runs `body` with the credential vault (sealing under the server's key) and the admin stores.
    static func withVault(_ options: ConfigOptions, _ body: (CredentialVault, AdminStores) async throws -> Void) async throws {
        try await AdminStores.with(options) { stores in
            let box = try SecretsKeys.box(stores.config)
            try await body(CredentialVault(store: SQLCredentialStore(database: stores.database), box: box), stores)
        }
    }
}

/// Where a secret value comes from: a prompt that does not echo on a terminal, else all of
/// standard input (one trailing newline dropped, as `echo` and here-strings add one).
struct SecretInput: Sendable {
    var isInteractive: @Sendable () -> Bool
    var readHidden: @Sendable (String) -> String?
    var readAll: @Sendable () -> Data

    /// The process's terminal and standard input.
    static let terminal = SecretInput(
        isInteractive: { isatty(STDIN_FILENO) == 1 },
        readHidden: { prompt in
            FileHandle.standardError.write(Data(prompt.utf8))
            var saved = termios()
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
            defer {
                tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
            return readLine(strippingNewline: true)
        },
        readAll: { FileHandle.standardInput.readDataToEndOfFile() })

    /// The value typed or piped. - Throws: ``CLIError`` when it is empty or not UTF-8.
    func read(_ prompt: String) throws -> String {
        let value: String
        if isInteractive() {
            value = readHidden(prompt) ?? ""
        } else {
            guard var text = String(data: readAll(), encoding: .utf8) else {
                throw CLIError("the value on standard input is not UTF-8 text")
            }
            // "\r\n" is one Character in Swift: either ending goes with one removeLast.
            if text.hasSuffix("\r\n") || text.hasSuffix("\n") { text.removeLast() }
            value = text
        }
        if value.isEmpty { throw CLIError("no value given (pipe it on standard input or type it at the prompt)") }
        return value
    }
}
