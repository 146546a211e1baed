import Foundation
import Testing
import TernCore
import TernTools

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct WorkspacePathTests {
    static let a = WorkspaceTests.a

    static let escapes: [(String, WorkspaceError)] = [
        ("..", .parentComponent("..")),
        ("a/../../b", .parentComponent("a/../../b")),
        ("a/..", .parentComponent("a/..")),
        ("/etc/passwd", .absolutePath("/etc/passwd")),
        ("~/x", .homePath("~/x")),
        ("~", .homePath("~")),
        (#"a\..\b"#, .backslash(#"a\..\b"#)),
        ("a\u{0}/../b", .controlCharacter("a\u{0}/../b")),
        ("a\nb", .controlCharacter("a\nb")),
        ("", .emptyPath),
        (String(repeating: "a/", count: 600), .pathTooLong(bytes: 1200, limit: 1024)),
        (String(repeating: "x", count: 256), .componentTooLong(bytes: 256, limit: 255)),
    ]

    @Test(arguments: escapes)
    func components_rejectsPathsLeavingTheWorkspace(_ path: String, _ expected: WorkspaceError) async throws {
        #expect(throws: expected) { try Workspace.components(of: path) }
        try await WorkspaceSandbox.with { sandbox in
            await #expect(throws: expected) { try await sandbox.workspace.read(path, in: Self.a) }
            await #expect(throws: expected) { try await sandbox.workspace.write("x", to: path, in: Self.a) }
            try sandbox.expectOutsideUntouched()
        }
    }

    @Test func components_dropsDotsAndEmptyParts() throws {
        #expect(try Workspace.components(of: "./a//b/") == ["a", "b"])
        #expect(try Workspace.components(of: ".") == [])
        #expect(try Workspace.components(of: "a/./b~") == ["a", "b~"])
        #expect(try Workspace.components(of: String(repeating: "x", count: 255)).count == 1)
    }

    @Test func resolve_staysInTheContextDirectory() throws {
        let workspace = Workspace(root: URL(fileURLWithPath: "/data/workspaces"))
        #expect(try workspace.resolve("notes/a.md", in: Self.a).path == "/data/workspaces/\(Self.a.rawValue)/notes/a.md")
        #expect(try workspace.resolve(".", in: Self.a).path == "/data/workspaces/\(Self.a.rawValue)")
    }

    @Test(arguments: ["", "..", ".", "a/b", "../other", "a b", "a.b", String(repeating: "a", count: 65)])
    func directory_refusesContextIDsThatCannotNameADirectory(_ id: String) async throws {
        try await WorkspaceSandbox.with { sandbox in
            #expect(throws: WorkspaceError.invalidContextID(id)) { try sandbox.workspace.directory(for: ContextID(id)) }
            await #expect(throws: WorkspaceError.invalidContextID(id)) {
                try await sandbox.workspace.write("x", to: "f", in: ContextID(id))
            }
            #expect(!FileManager.default.fileExists(atPath: sandbox.root.appendingPathComponent("other").path))
        }
    }
}
