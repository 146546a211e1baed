import Foundation
import SQLKit
import Testing
import TernCore
import TernStore
import TernTesting

/// The contract every ``MCPServerStore`` backend keeps, plus what only the SQL store can check
/// (unknown contexts, cascades, the stored JSON).
@Suite(.timeLimit(.minutes(1))) struct MCPServerStoreTests {
    static let contextA = ContextID.defaultContext
    static let contextB = SQLBackend.contextB
    static let start = Date(timeIntervalSince1970: 1_700_000_000)
    /// Stands in for a real ciphertext: the store keeps whatever bytes it is given.
    static let sealedToken = SealedSecret(keyID: "k1", combined: Data([0x00, 0xFF, 0x10, 0x80] + Array(0..<28)))
    static let sealedAuth = SealedSecret(keyID: "k2", combined: Data(repeating: 0xAB, count: 40))

    /// Runs `body` with a fresh store of `backend` whose clock the test sets; contexts A and B exist.
    func withStore(_ backend: StoreBackend, _ body: (any MCPServerStore, SettableClock) async throws -> Void) async throws {
        let clock = SettableClock(Self.start)
        try await backend.withStore(
            memory: { MemoryMCPServerStore(clock: clock) }, sql: { SQLMCPServerStore(database: $0, clock: clock) }
        ) { (store: any MCPServerStore) in try await body(store, clock) }
    }

    func withSQLStore(
        _ backend: SQLBackend, clock: SettableClock = SettableClock(start),
        _ body: (SQLMCPServerStore, any DatabaseHandle) async throws -> Void
    ) async throws {
        try await backend.withStore({ SQLMCPServerStore(database: $0, clock: clock) }, body)
    }

    static func stdio(_ name: String, in context: ContextID = contextA) -> MCPServerRecord {
        MCPServerRecord(
            contextID: context, name: name, transport: .stdio, command: "uvx",
            arguments: ["mcp-server-git", "--repository", "/tmp/a b"],
            environment: [
                MCPVariable(name: "LOG_LEVEL", value: .plain("debug")),
                MCPVariable(name: "GITHUB_TOKEN", value: .sealed(sealedToken)),
            ])
    }

    static func http(_ name: String, in context: ContextID = contextA) -> MCPServerRecord {
        MCPServerRecord(
            contextID: context, name: name, transport: .http, url: "https://mcp.example.com/mcp",
            headers: [
                MCPVariable(name: "Authorization", value: .sealed(sealedAuth)),
                MCPVariable(name: "X-Trace", value: .plain("on")),
            ],
            enabled: false)
    }

    static var startMicros: Int64 { start.microsecondsSince1970 }

    @Test(arguments: StoreBackend.allCases)
    func serversInContexts_groupsTheAskedContextsByName_withoutOthers(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, clock throws in
            for server in [Self.stdio("zeta"), Self.http("Alpha"), Self.stdio("beta"), Self.http("own", in: Self.contextB)] {
                _ = try await store.add(server)
                clock.advance(by: 1)
            }
            let both = try await store.servers(in: [Self.contextA, Self.contextB, ContextID("no-such-context")])
            #expect(Set(both.keys) == [Self.contextA, Self.contextB])
            #expect(both[Self.contextA] == (try await store.servers(in: Self.contextA)))
            #expect(both[Self.contextA]?.map(\.name) == ["Alpha", "beta", "zeta"])
            #expect(both[Self.contextB] == (try await store.servers(in: Self.contextB)))
            #expect(try await store.servers(in: [Self.contextB]).keys.map(\.self) == [Self.contextB])
            #expect(try await store.servers(in: Set<ContextID>()).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func add_thenGetAndList_roundTripEveryField(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            let git = Self.stdio("git")
            let remote = Self.http("remote")
            let addedGit = try await store.add(git)
            var expectedGit = git
            expectedGit.createdAt = Self.startMicros
            expectedGit.updatedAt = Self.startMicros
            #expect(addedGit == expectedGit)
            let addedRemote = try await store.add(remote)
            #expect(addedRemote.createdAt > addedGit.createdAt)
            #expect(addedRemote.updatedAt == addedRemote.createdAt)
            #expect(addedRemote.enabled == false)
            #expect(try await store.server(named: "git", in: Self.contextA) == addedGit)
            #expect(try await store.server(named: "remote", in: Self.contextA) == addedRemote)
            #expect(try await store.servers(in: Self.contextA) == [addedGit, addedRemote])
            #expect(try await store.servers(in: Self.contextB).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func servers_areOrderedByNameBytes(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            for name in ["zeta", "beta_2", "alpha", "Alpha", "beta-1", "Zeta"] {
                _ = try await store.add(Self.stdio(name))
            }
            let names = try await store.servers(in: Self.contextA).map(\.name)
            #expect(names == ["Alpha", "Zeta", "alpha", "beta-1", "beta_2", "zeta"])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func add_duplicateName_isConflictAndKeepsTheFirst(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            let first = try await store.add(Self.stdio("git"))
            await #expect(throws: StoreError.conflict("MCP server 'git' already exists in this context")) {
                try await store.add(Self.http("git"))
            }
            #expect(try await store.server(named: "git", in: Self.contextA) == first)
            #expect(try await store.servers(in: Self.contextA) == [first])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func add_sameNameInTwoContexts_isAllowed(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            let a = try await store.add(Self.stdio("git", in: Self.contextA))
            let b = try await store.add(Self.http("git", in: Self.contextB))
            #expect(try await store.server(named: "git", in: Self.contextA) == a)
            #expect(try await store.server(named: "git", in: Self.contextB) == b)
            #expect(a.transport == .stdio && b.transport == .http)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func add_invalidRecord_isInvalidAndStoresNothing(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            let existing = try await store.add(Self.stdio("git"))
            var noCommand = Self.stdio("local")
            noCommand.command = nil
            var blankCommand = Self.stdio("local")
            blankCommand.command = "  "
            var noURL = Self.http("remote")
            noURL.url = nil
            var badVariable = Self.stdio("local")
            badVariable.environment.append(MCPVariable(name: "1BAD", value: .plain("x")))
            let long = String(repeating: "a", count: 33)
            let cases: [(MCPServerRecord, String)] = [
                (Self.stdio(""), "server name '' must be 1 to 32 letters, digits, '_' or '-'"),
                (Self.stdio("has space"), "server name 'has space' must be 1 to 32 letters, digits, '_' or '-'"),
                (Self.stdio(long), "server name '\(long)' must be 1 to 32 letters, digits, '_' or '-'"),
                (Self.stdio("a__b"), "server name 'a__b' must not contain '__' (it separates server and tool in tool names)"),
                (Self.stdio("Tern-x"), "server name 'Tern-x' must not start with 'tern' (reserved for Tern's own tools)"),
                (noCommand, "a stdio server needs a command"),
                (blankCommand, "a stdio server needs a command"),
                (noURL, "an http server needs a url"),
                (badVariable, "environment variable name '1BAD' must match [A-Za-z_][A-Za-z0-9_]*"),
            ]
            for (record, message) in cases {
                await #expect(throws: StoreError.invalid(message)) { try await store.add(record) }
            }
            #expect(try await store.servers(in: Self.contextA) == [existing])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func setEnabled_updatesAndBumpsUpdatedAt(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, clock throws in
            let added = try await store.add(Self.stdio("git"))
            // The clock stands still: the store still moves `updatedAt` forward.
            let disabled = try await store.setEnabled(false, named: "git", in: Self.contextA)
            #expect(disabled.enabled == false)
            #expect(disabled.updatedAt > added.updatedAt)
            var expected = added
            expected.enabled = false
            expected.updatedAt = disabled.updatedAt
            #expect(disabled == expected)
            #expect(try await store.server(named: "git", in: Self.contextA) == disabled)

            clock.advance(by: 60)
            let enabled = try await store.setEnabled(true, named: "git", in: Self.contextA)
            #expect(enabled.enabled == true)
            #expect(enabled.updatedAt == Self.start.addingTimeInterval(60).microsecondsSince1970)
            #expect(enabled.createdAt == added.createdAt)
            #expect(try await store.servers(in: Self.contextA) == [enabled])

            // Setting the value it already has is still a change the client pool sees.
            let again = try await store.setEnabled(true, named: "git", in: Self.contextA)
            #expect(again.enabled == true && again.updatedAt > enabled.updatedAt)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func remove_deletesOnlyThatServer(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            _ = try await store.add(Self.stdio("git"))
            let remote = try await store.add(Self.http("remote"))
            let other = try await store.add(Self.stdio("git", in: Self.contextB))
            try await store.remove(named: "git", in: Self.contextA)
            #expect(try await store.servers(in: Self.contextA) == [remote])
            #expect(try await store.servers(in: Self.contextB) == [other])
            await #expect(throws: StoreError.notFound("MCP server 'git'")) {
                try await store.server(named: "git", in: Self.contextA)
            }
            // The name is free again.
            let readded = try await store.add(Self.stdio("git"))
            #expect(try await store.server(named: "git", in: Self.contextA) == readded)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func missingName_isNotFound(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ throws in
            let git = try await store.add(Self.stdio("git"))
            let missing = StoreError.notFound("MCP server 'nope'")
            await #expect(throws: missing) { try await store.server(named: "nope", in: Self.contextA) }
            await #expect(throws: missing) { try await store.setEnabled(false, named: "nope", in: Self.contextA) }
            await #expect(throws: missing) { try await store.remove(named: "nope", in: Self.contextA) }
            #expect(try await store.servers(in: Self.contextA) == [git])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func otherContext_cannotGetListEnableOrRemoveAServer(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, clock throws in
            let git = try await store.add(Self.stdio("git"))
            clock.advance(by: 1)
            let missing = StoreError.notFound("MCP server 'git'")
            await #expect(throws: missing) { try await store.server(named: "git", in: Self.contextB) }
            #expect(try await store.servers(in: Self.contextB).isEmpty)
            await #expect(throws: missing) { try await store.setEnabled(false, named: "git", in: Self.contextB) }
            await #expect(throws: missing) { try await store.remove(named: "git", in: Self.contextB) }
            #expect(try await store.server(named: "git", in: Self.contextA) == git)
            #expect(try await store.servers(in: Self.contextA) == [git])
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func add_unknownContext_isNotFoundAndStoresNothing(_ backend: SQLBackend) async throws {
        try await withSQLStore(backend) { store, database throws in
            await #expect(throws: StoreError.notFound("context nope")) {
                try await store.add(Self.stdio("git", in: "nope"))
            }
            #expect(try await rowCount(database) == 0)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func deletingAContext_deletesItsServers(_ backend: SQLBackend) async throws {
        try await withSQLStore(backend) { store, database throws in
            let a = try await store.add(Self.stdio("git", in: Self.contextA))
            _ = try await store.add(Self.stdio("git", in: Self.contextB))
            _ = try await store.add(Self.http("remote", in: Self.contextB))
            try await SQLTenantStore(database: database).deleteContext(Self.contextB)
            #expect(try await store.servers(in: Self.contextB).isEmpty)
            #expect(try await store.servers(in: Self.contextA) == [a])
            #expect(try await rowCount(database) == 1)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func setEnabled_byAStoreWhoseClockIsBehind_stillMovesUpdatedAtForward(_ backend: SQLBackend) async throws {
        try await withSQLStore(backend, clock: SettableClock(Self.start.addingTimeInterval(3600))) {
            store, database throws in
            let added = try await store.add(Self.stdio("git"))
            // Another replica (its own store, its clock an hour behind) changes the server.
            let behind = SQLMCPServerStore(database: database, clock: SettableClock(Self.start))
            let disabled = try await behind.setEnabled(false, named: "git", in: Self.contextA)
            #expect(disabled.updatedAt == added.updatedAt + 1)
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func storedColumns_areJSONWithSealedValuesAsBase64(_ backend: SQLBackend) async throws {
        try await withSQLStore(backend) { store, database throws in
            _ = try await store.add(Self.stdio("git"))
            let row = try #require(
                try await database.read { db in
                    try await db.raw("SELECT arguments, environment, headers, enabled FROM mcp_servers").first()
                })
            let arguments = try row.decode(column: "arguments", as: String.self)
            #expect(try JSONSerialization.jsonObject(with: Data(arguments.utf8)) as? [String] == Self.stdio("git").arguments)
            let environment = try row.decode(column: "environment", as: String.self)
            let variables = try #require(try JSONSerialization.jsonObject(with: Data(environment.utf8)) as? [[String: String]])
            #expect(
                variables == [
                    ["name": "LOG_LEVEL", "value": "debug"],
                    ["name": "GITHUB_TOKEN", "key_id": "k1", "sealed": Self.sealedToken.combined.base64EncodedString()],
                ])
            #expect(try row.decode(column: "headers", as: String.self) == "[]")
            #expect(try row.decode(column: "enabled", as: Int.self) == 1)
        }
    }

    private func rowCount(_ database: any DatabaseHandle) async throws -> Int {
        let row = try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM mcp_servers").first()
        }
        return try row?.decode(column: "n", as: Int.self) ?? -1
    }
}
