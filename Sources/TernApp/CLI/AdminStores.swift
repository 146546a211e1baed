import ArgumentParser
import Foundation
import Logging
import TernCore
import TernStore

/// The stores the admin commands use, over the configured database (migrated first, as
/// `tern serve` would).
struct AdminStores {
    let tenants: any TenantStore
    let keys: any APIKeyStore
    /// The open database, for commands that need another store over it.
    let database: any DatabaseHandle
    /// The loaded configuration.
    let config: TernConfig

    static func with(_ options: ConfigOptions, _ body: (AdminStores) async throws -> Void) async throws {
        let config = try options.load()
        let logger = bootstrapLogging(level: config.logLevel < .warning ? .warning : config.logLevel)
        let secret = try config.secretKey ?? SecretKeyFile.load(dataDir: config.dataDir)
        let database = try await Dependencies.openDatabase(config, logger: logger)
        do {
            try await Migrator(database: database, logger: logger).migrate()
            let stores = AdminStores(
                tenants: SQLTenantStore(database: database),
                keys: SQLAPIKeyStore(database: database, hasher: APIKeyHasher(secretKey: secret)), database: database,
                config: config)
            try await body(stores)
        } catch {
            try await database.close()
            if let store = error as? StoreError { throw CLIError(store.description) }
            throw error
        }
        try await database.close()
    }

    /// A user by email, id, or `local` for the built-in local user.
    func user(_ reference: String) async throws -> User {
        let found: User?
        if reference == "local" {
            found = try await tenants.user(.localUser)
        } else if reference.contains("@") {
            found = try await tenants.user(email: reference)
        } else {
            found = try await tenants.user(UserID(reference))
        }
        guard let found else { throw CLIError("no user '\(reference)' (give an email, a user id or 'local')") }
        return found
    }

    func context(_ reference: String) async throws -> Context {
        if let byName = try await tenants.context(named: reference) { return byName }
        if let byID = try await tenants.context(ContextID(reference)) { return byID }
        throw CLIError("no context '\(reference)' (give a name or an id)")
    }
}

/// A command that cannot go on; ArgumentParser prints it as `Error: …` and exits with 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Where a confirmation is asked: the terminal, or a script in tests.
struct ConfirmationPrompt: Sendable {
    /// Whether someone can answer (standard input is a terminal).
    var isInteractive: @Sendable () -> Bool
    /// Shows the question and returns the line typed, `nil` at end of input.
    var ask: @Sendable (String) -> String?

    /// Standard input and output.
    static let terminal = ConfirmationPrompt(
        isInteractive: { isatty(STDIN_FILENO) == 1 },
        ask: { question in
            write(question)
            return readLine()
        })
}

/// Asks before destructive commands; without a terminal, refuses unless `--yes` was given.
/// Anything but `y`/`yes` ends the command with "Nothing changed." (exit 0).
func confirm(_ question: String, yes: Bool, prompt: ConfirmationPrompt = .terminal) throws {
    if yes { return }
    guard prompt.isInteractive() else {
        throw CLIError("\(question) Refusing without a terminal; pass --yes to confirm.")
    }
    let answer = prompt.ask("\(question) [y/N] ")?.trimmingCharacters(in: .whitespaces).lowercased()
    guard answer == "y" || answer == "yes" else { throw CleanExit.message("Nothing changed.") }
}

/// Prints rows as aligned columns.
func printTable(_ header: [String], _ rows: [[String]]) {
    for line in tableLines(header, rows) { print(line) }
}

/// Rows as aligned columns, one line each, the header first.
func tableLines(_ header: [String], _ rows: [[String]]) -> [String] {
    let widths = header.indices.map { column in
        ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
    }
    return ([header] + rows).map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
}

func format(_ date: Date?) -> String {
    guard let date else { return "-" }
    return ISO8601DateFormatter().string(from: date)
}
