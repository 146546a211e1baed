import ArgumentParser
import Foundation
import Testing
import TernCore
import TernStore

@testable import TernApp

/// `tern credentials set|list|delete` in-process against an SQLite file in a temporary data dir.
@Suite(.timeLimit(.minutes(1))) struct CredentialsCommandTests {
    let commands = AdminCommandTests()

    static func piped(_ text: String) -> SecretInput {
        SecretInput(isInteractive: { false }, readHidden: { _ in nil }, readAll: { Data(text.utf8) })
    }

    @Test func set_readsStdin_dropsOneNewline_sealsIt_listAndDeleteWork() async throws {
        try await commands.withStores { _ in }  // creates and migrates the database
        let set = try CredentialsCommand.Set.parse(["default", "GITHUB_TOKEN", "--data-dir", commands.dataDir])
        try await set.set(input: Self.piped("ghp_value\n"))
        try await commands.withStores { stores throws in
            let box = AESGCMSecretBox(secretKey: try SecretsKeys.current(stores.config))
            let vault = CredentialVault(store: SQLCredentialStore(database: stores.database), box: box)
            #expect(try await vault.value(named: "GITHUB_TOKEN", in: .defaultContext) == "ghp_value")
            #expect(try await vault.list(in: .defaultContext).first?.createdBy == .localUser)
        }
        try await commands.run(CredentialsCommand.Delete.self, ["default", "GITHUB_TOKEN"])
        let again = await commands.failure { try await commands.run(CredentialsCommand.Delete.self, ["default", "GITHUB_TOKEN"]) }
        #expect(again == "not found: credential 'GITHUB_TOKEN'")
    }

    @Test func set_refusesAnEmptyValue_aBadName_andAnUnknownContext_storingNothing() async throws {
        let empty = await commands.failure {
            try await CredentialsCommand.Set.parse(["default", "TOKEN", "--data-dir", commands.dataDir]).set(input: Self.piped("\n"))
        }
        #expect(empty == "no value given (pipe it on standard input or type it at the prompt)")
        let badName = await commands.failure {
            try await CredentialsCommand.Set.parse(["default", "a b", "--data-dir", commands.dataDir]).set(input: Self.piped("v"))
        }
        #expect(badName == "a credential name may contain only ASCII letters, digits, '_', '-' and '.'; got \"a b\"")
        let unknown = await commands.failure {
            try await CredentialsCommand.Set.parse(["nowhere", "TOKEN", "--data-dir", commands.dataDir]).set(input: Self.piped("v"))
        }
        #expect(unknown == "no context 'nowhere' (give a name or an id)")
        try await commands.withStores { stores throws in
            #expect(try await SQLCredentialStore(database: stores.database).allSealed().isEmpty)
        }
    }

    @Test func set_hasNoValueArgument() {
        #expect(throws: (any Error).self) {
            try CredentialsCommand.Set.parse(["default", "TOKEN", "the-value", "--data-dir", commands.dataDir])
        }
    }
}
