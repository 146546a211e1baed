import Foundation
import Testing
import TernCore
import TernStore

/// `tern secrets rotate`'s engine on SQLite and PostgreSQL: from key A to key B with A as a
/// previous key, every credential and MCP secret ends up under B, and A can then be dropped.
@Suite(.timeLimit(.minutes(1))) struct SecretsRotationTests {
    static let keyA = Array(repeating: UInt8(0xA1), count: 32)
    static let keyB = Array(repeating: UInt8(0xB2), count: 32)
    static let keyC = Array(repeating: UInt8(0xC3), count: 32)
    static let context = ContextID.defaultContext

    /// A credential and an MCP server with one secret env value and one plain one, sealed under A.
    func seed(_ database: any DatabaseHandle) async throws {
        let boxA = AESGCMSecretBox(secretKey: Self.keyA)
        _ = try await CredentialVault(store: SQLCredentialStore(database: database), box: boxA)
            .set("cred-value", named: "TOKEN", in: Self.context, by: nil)
        let id = MCPServerID.random()
        let place = MCPServerRecord.secretContext(server: id, field: .env, name: "API_KEY")
        _ = try await SQLMCPServerStore(database: database).add(
            MCPServerRecord(
                id: id, contextID: Self.context, name: "git", transport: .stdio, command: "git-mcp",
                environment: [
                    MCPVariable(name: "API_KEY", value: .sealed(try boxA.seal("mcp-value", context: place))),
                    MCPVariable(name: "LEVEL", value: .plain("debug")),
                ]))
    }

    func openEverything(_ database: any DatabaseHandle, with box: AESGCMSecretBox) async throws -> [String] {
        let credential = try await CredentialVault(store: SQLCredentialStore(database: database), box: box)
            .value(named: "TOKEN", in: Self.context)
        let server = try await SQLMCPServerStore(database: database).server(named: "git", in: Self.context)
        guard case .sealed(let sealed) = server.environment.first?.value else { throw StoreError.invalid("not sealed") }
        let mcp = try box.open(sealed, context: MCPServerRecord.secretContext(server: server.id, field: .env, name: "API_KEY"))
        #expect(server.environment.last?.value == .plain("debug"))
        return [credential, mcp]
    }

    @Test(arguments: SQLBackend.allCases)
    func rotate_fromAToB_thenAIsNotNeeded(_ backend: SQLBackend) async throws {
        try await backend.withStore({ $0 }) { database, _ in
            try await seed(database)
            let rotating = AESGCMSecretBox(secretKey: Self.keyB, previous: [Self.keyA])
            var seen: [(Int, Int)] = []
            let report = try await SecretsRotation(database: database, box: rotating).run { seen.append(($0, $1)) }
            #expect(report == SecretsRotation.Report(resealed: 2, alreadyCurrent: 0, failed: []))
            #expect(seen.map(\.0) == [1, 2] && seen.allSatisfy { $0.1 == 2 })
            let onlyB = AESGCMSecretBox(secretKey: Self.keyB)
            #expect(try await openEverything(database, with: onlyB) == ["cred-value", "mcp-value"])
            #expect(try await SecretsRotation(database: database, box: onlyB).unopenable().isEmpty)
            let again = try await SecretsRotation(database: database, box: onlyB).run()
            #expect(again == SecretsRotation.Report(resealed: 0, alreadyCurrent: 2, failed: []))
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func rotate_withoutTheOldKey_reportsEachValue_andChangesNothing(_ backend: SQLBackend) async throws {
        try await backend.withStore({ $0 }) { database, _ in
            try await seed(database)
            let withoutA = AESGCMSecretBox(secretKey: Self.keyC)
            let unknown = try await SecretsRotation(database: database, box: withoutA).unopenable()
            #expect(
                unknown.map(\.what) == [
                    "credential 'TOKEN' of context \(Self.context)", "MCP server 'git' of context \(Self.context), env API_KEY",
                ])
            #expect(unknown.allSatisfy { $0.why.contains("which this server does not have") })
            let report = try await SecretsRotation(database: database, box: withoutA).run()
            #expect(report.resealed == 0 && report.failed.count == 2)
            #expect(!"\(report.failed)".contains("cred-value") && !"\(report.failed)".contains("mcp-value"))
            #expect(try await openEverything(database, with: AESGCMSecretBox(secretKey: Self.keyA)) == ["cred-value", "mcp-value"])
        }
    }
}
