import ArgumentParser
import Foundation
import TernCore
import Testing
@testable import TernApp

/// The admin commands run in-process against an SQLite file in a temporary data dir.
@Suite(.timeLimit(.minutes(1))) struct AdminCommandTests {
    let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-cli-\(UUID().uuidString)").path

    var options: ConfigOptions { get throws { try ConfigOptions.parse(["--data-dir", dataDir]) } }

    /// Runs `body` on the stores of the test's data dir.
    func withStores(_ body: (AdminStores) async throws -> Void) async throws {
        try await AdminStores.with(try options, body)
    }

    /// Runs a command parsed from `arguments` (the data dir is added).
    func run<Command: AsyncParsableCommand>(_: Command.Type, _ arguments: [String]) async throws {
        var command = try Command.parse(arguments + ["--data-dir", dataDir])
        try await command.run()
    }

    /// The error `body` throws, as text.
    func failure(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    // MARK: migrate --status

    @Test func migrateStatus_withoutADatabase_createsNothing() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tern-none-\(UUID().uuidString)").path
        let command = try MigrateCommand.parse(["--status", "--data-dir", root + "/data"])
        try await command.run()
        #expect(!FileManager.default.fileExists(atPath: root), "migrate --status created \(root)")
        let lines = MigrateCommand.statusOfMissingDatabase(path: root + "/data/tern.sqlite")
        #expect(lines.first == "database: \(root)/data/tern.sqlite (does not exist yet; nothing is applied)")
        #expect(lines.count > 1 && lines.dropFirst().allSatisfy { $0.hasSuffix("pending") })
    }

    // MARK: users delete

    @Test func usersDelete_removesTheUserTheirKeysAndTheirPersonalContext() async throws {
        var ada: User?
        try await withStores { stores throws in
            ada = try await stores.tenants.provisionUser(email: "ada@example.com", displayName: "Ada", role: .user).0
            _ = try await stores.keys.createKey(for: try #require(ada).id, context: nil, name: "laptop")
            let question = try await UsersCommand.Delete.question(for: try #require(ada), label: "ada@example.com", stores: stores)
            #expect(question == "Delete user ada@example.com (user) with 1 active API key and personal context 'ada' (0 conversations)?")
        }
        try await run(UsersCommand.Delete.self, ["ada@example.com", "--yes"])
        try await withStores { stores throws in
            #expect(try await stores.tenants.user(email: "ada@example.com") == nil)
            #expect(try await stores.tenants.context(named: "ada") == nil)
            #expect(try await stores.keys.keys(of: try #require(ada).id).isEmpty)
        }
        let again = await failure { try await run(UsersCommand.Delete.self, ["ada@example.com", "--yes"]) }
        #expect(again == "no user 'ada@example.com' (give an email, a user id or 'local')")
    }

    @Test func usersDelete_sharedPersonalContextStays() async throws {
        try await withStores { stores throws in
            let (ada, personal) = try await stores.tenants.provisionUser(email: "ada@example.com", displayName: "Ada", role: .user)
            let (bob, _) = try await stores.tenants.provisionUser(email: "bob@example.com", displayName: "Bob", role: .user)
            _ = try await stores.tenants.addMember(bob.id, to: personal.id, role: .member)
            #expect(try await stores.tenants.deleteUser(ada.id) == [])
            #expect(try await stores.tenants.context(named: "ada") != nil)
        }
    }

    @Test func usersDelete_lastAdmin_isRefusedAndChangesNothing() async throws {
        try await withStores { stores throws in
            _ = try await stores.tenants.provisionUser(email: "root@example.com", displayName: "Root", role: .admin)
            _ = try await stores.tenants.setRole(.user, of: .localUser)
        }
        let refused = await failure { try await run(UsersCommand.Delete.self, ["root@example.com", "--yes"]) }
        #expect(refused?.hasPrefix("root@example.com was not deleted: conflict: user ") == true, "\(refused ?? "accepted")")
        #expect(refused?.hasSuffix("is the last admin and cannot be deleted; make another user an admin first") == true)
        try await withStores { stores throws in
            #expect(try await stores.tenants.user(email: "root@example.com")?.role == .admin)
            #expect(try await stores.tenants.context(named: "root") != nil)
        }
    }

    @Test func usersDelete_localUser_isRefused() async throws {
        let refused = await failure { try await run(UsersCommand.Delete.self, ["local", "--yes"]) }
        #expect(refused?.contains("the built-in local user cannot be deleted") == true, "\(refused ?? "accepted")")
        try await withStores { stores throws in #expect(try await stores.tenants.user(.localUser) != nil) }
    }

    @Test func confirm_asksOnATerminal_refusesWithoutOne_andYesSkipsIt() throws {
        let answering = { (answer: String?) in
            ConfirmationPrompt(isInteractive: { true }, ask: { _ in answer })
        }
        try confirm("Delete?", yes: false, prompt: answering("y"))
        try confirm("Delete?", yes: false, prompt: answering(" YES "))
        for declined in ["n", "", nil] as [String?] {
            #expect(throws: CleanExit.self) { try confirm("Delete?", yes: false, prompt: answering(declined)) }
        }
        let noTerminal = ConfirmationPrompt(
            isInteractive: { false },
            ask: { _ in
                Issue.record("asked without a terminal")
                return "y"
            })
        #expect {
            try confirm("Delete user x?", yes: false, prompt: noTerminal)
        } throws: { error in
            "\(error)" == "Delete user x? Refusing without a terminal; pass --yes to confirm."
        }
        try confirm("Delete?", yes: true, prompt: noTerminal)
    }

    // MARK: contexts rename and members

    @Test func contextsRename_keepsTheContext_andRefusesBadOrTakenNames() async throws {
        var ops: Context?
        try await withStores { stores throws in
            ops = try await stores.tenants.createContext(name: "ops", kind: .shared, owner: nil)
        }
        try await run(ContextsCommand.Rename.self, ["ops", "platform"])
        try await withStores { stores throws in
            #expect(try await stores.tenants.context(named: "platform")?.id == ops?.id)
            #expect(try await stores.tenants.context(named: "ops") == nil)
        }
        #expect(throws: (any Error).self) { try ContextsCommand.Rename.parse(["platform", "Bad Name"]) }
        #expect(
            await failure { try await run(ContextsCommand.Rename.self, ["platform", "default"]) }
                == "conflict: a context named 'default' already exists")
        #expect(
            await failure { try await run(ContextsCommand.Rename.self, ["ghost", "spirit"]) }
                == "no context 'ghost' (give a name or an id)")
    }

    @Test func contextsMembers_listsByDefault_andSetRoleNeedsAMember() async throws {
        let parsed = try ContextsCommand.parseAsRoot(["members", "ops", "--data-dir", dataDir])
        #expect(parsed is ContextsCommand.ListMembers)
        try await withStores { stores throws in
            let (ada, _) = try await stores.tenants.provisionUser(email: "ada@example.com", displayName: "Ada", role: .user)
            let ops = try await stores.tenants.createContext(name: "ops", kind: .shared, owner: ada.id)
            let rows = ContextsCommand.ListMembers.rows(
                try await stores.tenants.members(of: ops.id), users: try await stores.tenants.users())
            #expect(rows == [[ada.id.rawValue, "ada@example.com", "Ada", "owner", "no"]])
        }
        try await run(ContextsCommand.ListMembers.self, ["ops"])
        let notMember = await failure { try await run(ContextsCommand.SetMemberRole.self, ["ops", "local", "viewer"]) }
        #expect(notMember?.hasPrefix("local is not a member of 'ops'; add them with: tern contexts members add ops local") == true)
        try await run(ContextsCommand.SetMemberRole.self, ["ops", "ada@example.com", "viewer"])
        try await withStores { stores throws in
            let ops = try #require(try await stores.tenants.context(named: "ops"))
            #expect(try await stores.tenants.members(of: ops.id).map(\.role) == [.viewer])
        }
    }
}
