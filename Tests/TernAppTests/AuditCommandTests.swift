import ArgumentParser
import Foundation
import Testing
import TernCore
import TernStore

@testable import TernApp

/// The command line audits its changes as `cli`, never with a credential's value.
@Suite(.timeLimit(.minutes(1))) struct AuditCommandTests {
    let commands = AdminCommandTests()

    @Test func credentialsSetAndDelete_areAuditedAsCLI_withoutTheValue() async throws {
        try await commands.withStores { _ in }
        try await CredentialsCommand.Set.parse(["default", "TOKEN", "--data-dir", commands.dataDir])
            .set(input: CredentialsCommandTests.piped("cli-secret-value"))
        try await commands.run(CredentialsCommand.Delete.self, ["default", "TOKEN"])
        try await commands.withStores { stores throws in
            let page = try await SQLAuditStore(database: stores.database).entries(AuditQuery(actor: "cli"))
            #expect(page.entries.map(\.action) == ["credential.delete", "credential.set"])
            #expect(page.entries.allSatisfy { $0.actor.via == .cli && $0.objectID == "TOKEN" && $0.contextID == .defaultContext })
            for entry in page.entries {
                #expect(!"\(entry)".contains("cli-secret-value"))
            }
        }
        try await commands.run(AuditCommand.List.self, ["--object", "credential:TOKEN"])
        let bad = await commands.failure { try await commands.run(AuditCommand.List.self, ["--since", "yesterday"]) }
        #expect(bad == "--since must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got yesterday")
    }
}
