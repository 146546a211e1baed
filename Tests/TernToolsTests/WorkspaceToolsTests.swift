import Foundation
import Testing
import TernCore
import TernTools

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct WorkspaceToolsTests {
    static let a = ToolContext(contextID: "0a0a0a0a-0000-4000-8000-00000000000a", userID: .localUser)
    static let b = ToolContext(contextID: "0b0b0b0b-0000-4000-8000-00000000000b", userID: .localUser)

    struct Tools {
        let list: ListFilesTool
        let read: ReadFileTool
        let write: WriteFileTool
        let search: SearchFilesTool

        init(_ workspace: Workspace) throws {
            list = try ListFilesTool(workspace: workspace)
            read = try ReadFileTool(workspace: workspace)
            write = try WriteFileTool(workspace: workspace)
            search = try SearchFilesTool(workspace: workspace)
        }
    }

    static func with(
        limits: WorkspaceLimits = WorkspaceLimits(), _ body: (Tools, WorkspaceSandbox) async throws -> Void
    ) async throws {
        try await WorkspaceSandbox.with(limits: limits) { sandbox in try await body(Tools(sandbox.workspace), sandbox) }
    }

    @Test func specs_nameTheToolsAndTheirRisks() async throws {
        let tools = try Tools(Workspace(root: URL(fileURLWithPath: "/nonexistent")))
        let specs = [tools.list.spec, tools.read.spec, tools.write.spec, tools.search.spec]
        #expect(specs.map(\.name) == ["list_files", "read_file", "write_file", "search_files"])
        #expect(specs.map(\.risk) == [.read, .read, .write, .read])
        #expect(tools.read.spec.inputSchema["required"] == ["path"])
        #expect(tools.write.spec.inputSchema["required"] == ["path", "content"])
        #expect(tools.search.spec.inputSchema["required"] == ["query"])
        await #expect(throws: ToolError.self) { try await tools.read.validatedCall([:], in: Self.a) }
        await #expect(throws: ToolError.self) { try await tools.write.validatedCall(["path": "x"], in: Self.a) }
    }

    @Test func writeThenRead_roundTripsInTheCallersContext() async throws {
        try await Self.with { tools, _ in
            let wrote = try await tools.write.validatedCall(
                ["path": "./notes//todo.md", "content": "- milk\n", "create_directories": true], in: Self.a)
            #expect(wrote == .text("wrote 7 bytes to notes/todo.md"))
            #expect(try await tools.read.validatedCall(["path": "notes/todo.md"], in: Self.a) == .text("- milk\n"))
            #expect(
                try await tools.read.validatedCall(["path": "notes/todo.md"], in: Self.b)
                    == .error(#""notes" does not exist"#))
            _ = try await tools.write.validatedCall(["path": "empty", "content": ""], in: Self.a)
            #expect(try await tools.read.validatedCall(["path": "empty"], in: Self.a) == .text(#"("empty" is empty)"#))
        }
    }

    @Test func refusals_nameTheRule() async throws {
        try await Self.with { tools, sandbox in
            let directory = try await sandbox.directory(Self.a.contextID)
            try await sandbox.link("link", to: sandbox.outside.appendingPathComponent("f").path, in: Self.a.contextID)
            #expect(mkfifo(directory.appendingPathComponent("fifo").path, 0o600) == 0)
            #expect(FileManager.default.createFile(atPath: directory.appendingPathComponent("big").path, contents: nil))
            #expect(truncate(directory.appendingPathComponent("big").path, 5_242_880) == 0)
            try await sandbox.plant([0xC3, 0x28], at: "bin", in: Self.a.contextID)
            try await sandbox.plant([], at: "notes/x", in: Self.a.contextID)
            let cases: [(any Tool, JSONValue, String)] = [
                (tools.read, ["path": "../x"], #"path "../x" leaves the workspace ("..")"#),
                (tools.read, ["path": "/etc/passwd"], #"path "/etc/passwd" is absolute; paths are relative to the workspace"#),
                (tools.read, ["path": "a\u{0}b"], #"path "a\u{0}b" contains a control character (NUL, newline, …)"#),
                (tools.read, ["path": "link"], #""link" is a symbolic link; links are not followed"#),
                (tools.read, ["path": "fifo"], #""fifo" is not a regular file (FIFO, socket or device)"#),
                (tools.read, ["path": "big"], #""big" is 5242880 bytes; read_file reads at most 1048576"#),
                (tools.read, ["path": "bin"], #""bin" is not UTF-8 text (binary data); read_file reads text only"#),
                (tools.read, ["path": "notes"], #""notes" is a directory; use list_files"#),
                (tools.write, ["path": "link", "content": "x"], #""link" is a symbolic link; links are not followed"#),
                (
                    tools.write, ["path": "a/b", "content": "x"],
                    #"directory "a" does not exist; set create_directories to create it"#
                ),
                (
                    tools.write, ["path": "x", "content": .string(String(repeating: "x", count: 1_048_577))],
                    "content is 1048577 bytes; write_file writes at most 1048576"
                ),
                (tools.list, ["path": "link"], #""link" is a symbolic link; links are not followed"#),
                (
                    tools.search, ["query": "a\nb"],
                    "invalid query: the query contains a line break; search_files matches within one line"
                ),
            ]
            for (tool, input, message) in cases {
                #expect(try await tool.validatedCall(input, in: Self.a) == .error(message), "\(tool.spec.name) \(input)")
            }
            let badContext = ToolContext(contextID: "../x", userID: .localUser)
            #expect(
                try await tools.read.validatedCall(["path": "f"], in: badContext)
                    == .error(
                        #"context ID "../x" cannot name a workspace (allowed: A-Z, a-z, 0-9, "-"; 1 to 64 characters)"#))
            try sandbox.expectOutsideUntouched()
        }
    }

    @Test func call_throwsOnlyForCancellation() async throws {
        try await Self.with { tools, _ in
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await tools.write.validatedCall(["path": "f", "content": "x"], in: Self.a)
            }
            await #expect(throws: CancellationError.self) { try await task.value }
        }
    }

    @Test func listFiles_showsTypesSizesAndCuts() async throws {
        try await Self.with(limits: WorkspaceLimits(maxListEntries: 4)) { tools, sandbox in
            let context = Self.a.contextID
            try await sandbox.plant(Array("hello".utf8), at: "a.txt", in: context)
            try await sandbox.plant([], at: "docs/x", in: context)
            try await sandbox.link("link", to: sandbox.outside.path, in: context)
            #expect(mkfifo(try sandbox.workspace.resolve("pipe", in: context).path, 0o600) == 0)
            try await sandbox.plant([], at: "z", in: context)
            #expect(
                try await tools.list.validatedCall([:], in: Self.a)
                    == .text(
                        """
                        "." (6 entries):
                        .keep (file, 0 bytes)
                        a.txt (file, 5 bytes)
                        docs/ (directory)
                        link (symbolic link; not followed)
                        … 2 more not shown: list_files shows at most 4 entries; list a subdirectory or use search_files
                        """))
            #expect(
                try await tools.list.validatedCall(["path": "docs"], in: Self.a)
                    == .text(
                        """
                        "docs" (1 entry):
                        x (file, 0 bytes)
                        """))
            _ = try await tools.write.validatedCall(["path": "e/.k", "content": "", "create_directories": true], in: Self.b)
            #expect(
                try await tools.list.validatedCall(["path": "e"], in: Self.b)
                    == .text(
                        """
                        "e" (1 entry):
                        .k (file, 0 bytes)
                        """))
        }
    }

    @Test func searchFiles_findsLinesWithoutFollowingLinks() async throws {
        try await Self.with { tools, sandbox in
            let context = Self.a.contextID
            try await sandbox.plant(Array("Alpha\nthe Secret plan\nomega\n".utf8), at: "notes/b.md", in: context)
            try await sandbox.plant(Array("no match\nsecret two\r\n".utf8), at: "a.txt", in: context)
            try await sandbox.plant([0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x00], at: "blob", in: context)
            try await sandbox.link("out", to: sandbox.outside.path, in: context)
            try await sandbox.link("secret-link", to: sandbox.outside.appendingPathComponent("secret.txt").path, in: context)
            #expect(mkfifo(try sandbox.workspace.resolve("notes/pipe", in: context).path, 0o600) == 0)
            #expect(
                try await tools.search.validatedCall(["query": "secret"], in: Self.a)
                    == .text(
                        """
                        a.txt:2: secret two
                        notes/b.md:2: the Secret plan
                        2 matching lines in 4 files searched; skipped 2 symbolic links (not followed), 1 binary files, \
                        1 special or hard-linked entries
                        """))
            #expect(
                try await tools.search.validatedCall(
                    ["query": "Secret", "case_sensitive": true, "path": "notes"], in: Self.a)
                    == .text(
                        """
                        notes/b.md:2: the Secret plan
                        1 matching line in 1 file searched; skipped 1 special or hard-linked entries
                        """))
            #expect(
                try await tools.search.validatedCall(["query": "omega", "path": "notes/b.md"], in: Self.a)
                    == .text(
                        """
                        notes/b.md:3: omega
                        1 matching line in 1 file searched
                        """))
            #expect(
                try await tools.search.validatedCall(["query": "zebra"], in: Self.b)
                    == .text(#"no lines contain "zebra" (0 files searched)"#))
            #expect(
                try await tools.search.validatedCall(["query": "x", "path": "out"], in: Self.a)
                    == .error(#""out" is a symbolic link; links are not followed"#))
        }
    }

    @Test func searchFiles_stopsAtItsLimits() async throws {
        let limits = WorkspaceLimits(maxSearchFiles: 3, maxSearchFileBytes: 8, maxSearchMatches: 3)
        try await Self.with(limits: limits) { tools, sandbox in
            let context = Self.a.contextID
            try await sandbox.plant(Array("x1\nx2\n".utf8), at: "a", in: context)
            try await sandbox.plant(Array("x3 long line\n".utf8), at: "b", in: context)
            try await sandbox.plant(Array("x4\nx5\n".utf8), at: "c", in: context)
            try await sandbox.plant(Array("x6\n".utf8), at: "d", in: context)
            #expect(
                try await tools.search.validatedCall(["query": "X"], in: Self.a)
                    == .text(
                        """
                        a:1: x1
                        a:2: x2
                        c:1: x4
                        3 matching lines in 3 files searched; skipped 1 files over 8 bytes; stopped at 3 lines, \
                        narrow the query or path
                        """))
            #expect(
                try await tools.search.validatedCall(["query": "nothing"], in: Self.a)
                    == .text(
                        """
                        no lines contain "nothing" (3 files searched); skipped 1 files over 8 bytes; \
                        stopped after 3 files, narrow the path
                        """))
        }
    }

    @Test func searchFiles_skipsDirectoriesBelowTheDepthLimit() async throws {
        try await Self.with(limits: WorkspaceLimits(maxSearchDepth: 1)) { tools, sandbox in
            try await sandbox.plant(Array("hit\n".utf8), at: "a/f", in: Self.a.contextID)
            try await sandbox.plant(Array("hit\n".utf8), at: "a/b/f", in: Self.a.contextID)
            #expect(
                try await tools.search.validatedCall(["query": "hit"], in: Self.a)
                    == .text(
                        """
                        a/f:1: hit
                        1 matching line in 2 files searched; skipped 1 directories deeper than 1 levels
                        """))
        }
    }
}
