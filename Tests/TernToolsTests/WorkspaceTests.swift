import Foundation
import Testing
import TernCore
import TernTools

#if canImport(Glibc)
    import Glibc
#endif

/// A temporary tree: `data/workspaces` for the workspace and `outside/` (holding `f` and
/// `secret.txt`) standing for everything a context must not reach. Removed by ``remove()``.
struct WorkspaceSandbox {
    let base: URL
    let root: URL
    let outside: URL
    let workspace: Workspace

    init(limits: WorkspaceLimits = WorkspaceLimits()) throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("tern-workspace-\(UUID().uuidString)")
        root = base.appendingPathComponent("data/workspaces")
        outside = base.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("outside\n".utf8).write(to: outside.appendingPathComponent("f"))
        try Data("the secret\n".utf8).write(to: outside.appendingPathComponent("secret.txt"))
        workspace = Workspace(root: root, limits: limits)
    }

    /// Runs `body` with a fresh sandbox and removes it afterwards.
    static func with(
        limits: WorkspaceLimits = WorkspaceLimits(), _ body: (WorkspaceSandbox) async throws -> Void
    ) async throws {
        let sandbox = try WorkspaceSandbox(limits: limits)
        defer { sandbox.remove() }
        try await body(sandbox)
    }

    func remove() {
        do { try FileManager.default.removeItem(at: base) } catch { Issue.record("could not remove \(base.path): \(error)") }
    }

    /// The context's directory, created (as the workspace would) by a harmless write.
    func directory(_ context: ContextID) async throws -> URL {
        _ = try await workspace.write("", to: ".keep", in: context)
        return try workspace.directory(for: context)
    }

    /// Creates a symbolic link at `path` (in `context`'s directory) pointing to `target`.
    func link(_ path: String, to target: String, in context: ContextID) async throws {
        let url = try await directory(context).appendingPathComponent(path)
        #expect(symlink(target, url.path) == 0)
    }

    /// Writes `bytes` straight to `path` below `context`'s directory, bypassing the workspace.
    func plant(_ bytes: some Sequence<UInt8>, at path: String, in context: ContextID) async throws {
        let url = try await directory(context).appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    /// Records an issue unless `outside/` still holds just `f` and `secret.txt`, unchanged.
    func expectOutsideUntouched(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: outside.path).sorted()
        #expect(names == ["f", "secret.txt"], sourceLocation: sourceLocation)
        let f = try String(contentsOf: outside.appendingPathComponent("f"), encoding: .utf8)
        #expect(f == "outside\n", sourceLocation: sourceLocation)
        let secret = try String(contentsOf: outside.appendingPathComponent("secret.txt"), encoding: .utf8)
        #expect(secret == "the secret\n", sourceLocation: sourceLocation)
    }
}
@Suite struct WorkspaceTests {
    static let a: ContextID = "0a0a0a0a-0000-4000-8000-00000000000a"
    static let b: ContextID = "0b0b0b0b-0000-4000-8000-00000000000b"

    @Test func write_createsPrivateDirectories() async throws {
        try await WorkspaceSandbox.with { sandbox in
            #expect(try await sandbox.workspace.write("hi", to: "a/b/c.txt", in: Self.a, createDirectories: true) == 2)
            #expect(try await sandbox.workspace.read("a/b/c.txt", in: Self.a) == "hi")
            let directory = try sandbox.workspace.directory(for: Self.a)
            for url in [sandbox.root, directory, directory.appendingPathComponent("a/b")] {
                var info = stat()
                #expect(lstat(url.path, &info) == 0)
                #expect(info.st_mode & 0o077 == 0, "\(url.path) is readable by others")
            }
        }
    }

    @Test func write_withoutCreateDirectories_refusesMissingParent() async throws {
        try await WorkspaceSandbox.with { sandbox in
            await #expect(throws: WorkspaceError.missingDirectory("a")) {
                try await sandbox.workspace.write("x", to: "a/b/c.txt", in: Self.a)
            }
        }
    }

    @Test func contexts_seeOnlyTheirOwnFiles() async throws {
        try await WorkspaceSandbox.with { sandbox in
            let workspace = sandbox.workspace
            _ = try await workspace.write("from A", to: "same.txt", in: Self.a)
            _ = try await workspace.write("from B", to: "same.txt", in: Self.b)
            _ = try await workspace.write("only B", to: "b-only.txt", in: Self.b)
            #expect(try await workspace.read("same.txt", in: Self.a) == "from A")
            #expect(try await workspace.read("same.txt", in: Self.b) == "from B")
            await #expect(throws: WorkspaceError.notFound("b-only.txt")) { try await workspace.read("b-only.txt", in: Self.a) }
            #expect(try await workspace.list(".", in: Self.a).entries.map(\.name) == ["same.txt"])
            #expect(try await workspace.search("from", in: Self.a).matches.map(\.text) == ["from A"])
            #expect(try workspace.directory(for: Self.a) != workspace.directory(for: Self.b))
        }
    }

    @Test func read_enforcesTheSizeLimitAndText() async throws {
        try await WorkspaceSandbox.with(limits: WorkspaceLimits(maxReadBytes: 10)) { sandbox in
            let workspace = sandbox.workspace
            try await sandbox.plant(Array("0123456789".utf8), at: "ten", in: Self.a)
            try await sandbox.plant(Array("0123456789A".utf8), at: "eleven", in: Self.a)
            try await sandbox.plant([0x61, 0xFF, 0xFE], at: "latin1", in: Self.a)
            try await sandbox.plant([0x61, 0x00, 0x62], at: "nul", in: Self.a)
            #expect(try await workspace.read("ten", in: Self.a) == "0123456789")
            await #expect(throws: WorkspaceError.fileTooLarge("eleven", bytes: 11, limit: 10)) {
                try await workspace.read("eleven", in: Self.a)
            }
            await #expect(throws: WorkspaceError.notText("latin1")) { try await workspace.read("latin1", in: Self.a) }
            await #expect(throws: WorkspaceError.notText("nul")) { try await workspace.read("nul", in: Self.a) }
        }
    }

    @Test func write_failureLeavesTheOldContent() async throws {
        try await WorkspaceSandbox.with(limits: WorkspaceLimits(maxWriteBytes: 10)) { sandbox in
            let workspace = sandbox.workspace
            #expect(try await workspace.write("old", to: "f.txt", in: Self.a) == 3)
            await #expect(throws: WorkspaceError.contentTooLarge(bytes: 11, limit: 10)) {
                try await workspace.write("0123456789A", to: "f.txt", in: Self.a)
            }
            let cancelled = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await workspace.write("new", to: "f.txt", in: Self.a)
            }
            await #expect(throws: WorkspaceError.cancelled) { try await cancelled.value }
            try await sandbox.plant([], at: "dir/x", in: Self.a)
            await #expect(throws: WorkspaceError.isDirectory("dir")) { try await workspace.write("x", to: "dir", in: Self.a) }
            #expect(try await workspace.read("f.txt", in: Self.a) == "old")
            #expect(try await workspace.write("0123456789", to: "f.txt", in: Self.a) == 10)
            #expect(try await workspace.read("f.txt", in: Self.a) == "0123456789")
            let names = try FileManager.default.contentsOfDirectory(atPath: workspace.directory(for: Self.a).path)
            #expect(names.sorted() == [".keep", "dir", "f.txt"], "no temporary files are left behind")
        }
    }

    @Test func list_reportsKindsSizesAndCuts() async throws {
        try await WorkspaceSandbox.with(limits: WorkspaceLimits(maxListEntries: 4)) { sandbox in
            let workspace = sandbox.workspace
            try await sandbox.plant(Array("12345".utf8), at: "b.txt", in: Self.a)
            try await sandbox.plant([], at: "sub/x", in: Self.a)
            try await sandbox.link("link", to: sandbox.outside.path, in: Self.a)
            #expect(mkfifo(try workspace.resolve("pipe", in: Self.a).path, 0o600) == 0)
            let listing = try await workspace.list(".", in: Self.a)
            #expect(
                listing.entries == [
                    WorkspaceEntry(name: ".keep", kind: .file, size: 0),
                    WorkspaceEntry(name: "b.txt", kind: .file, size: 5),
                    WorkspaceEntry(name: "link", kind: .symlink),
                    WorkspaceEntry(name: "pipe", kind: .other),
                ])
            #expect(listing.total == 5)
            #expect(try await workspace.list("sub", in: Self.a).entries == [WorkspaceEntry(name: "x", kind: .file, size: 0)])
            await #expect(throws: WorkspaceError.notDirectory("b.txt")) { try await workspace.list("b.txt", in: Self.a) }
            await #expect(throws: WorkspaceError.notFound("nope")) { try await workspace.list("nope", in: Self.a) }
        }
    }
}
