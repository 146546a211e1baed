import Foundation
import Testing
import TernCore
import TernTools

#if canImport(Glibc)
    import Glibc
#endif

/// Links, special files and races: nothing outside the context directory is ever reached.
@Suite struct WorkspaceLinkTests {
    static let a = WorkspaceTests.a
    static let b = WorkspaceTests.b

    @Test(arguments: [
        ("link", "link", "link"),  // a link to a file, as the last component
        ("dlink/secret.txt", "dlink", "dlink"),  // a link to a directory, in the middle
        ("sub/dlink/secret.txt", "sub/dlink", "sub/dlink"),  // deeper
    ])
    func operations_refuseLinksToTheOutside(_ path: String, _ linkPath: String, _ named: String) async throws {
        try await WorkspaceSandbox.with { sandbox in
            let workspace = sandbox.workspace
            try await sandbox.plant([], at: "sub/.keep", in: Self.a)
            let target = linkPath.hasSuffix("dlink") ? sandbox.outside.path : sandbox.outside.appendingPathComponent("f").path
            try await sandbox.link(linkPath, to: target, in: Self.a)
            let refused = WorkspaceError.symbolicLink(named)
            await #expect(throws: refused) { try await workspace.read(path, in: Self.a) }
            await #expect(throws: refused) { try await workspace.write("pwned", to: path, in: Self.a) }
            await #expect(throws: refused) { try await workspace.write("pwned", to: path, in: Self.a, createDirectories: true) }
            await #expect(throws: refused) { try await workspace.search("secret", under: path, in: Self.a) }
            if named != path {
                await #expect(throws: refused) { try await workspace.list(named, in: Self.a) }
                await #expect(throws: refused) { try await workspace.write("x", to: named + "/new.txt", in: Self.a) }
            }
            try sandbox.expectOutsideUntouched()
        }
    }

    @Test func operations_refuseALinkToTheParentOfTheWorkspace() async throws {
        try await WorkspaceSandbox.with { sandbox in
            _ = try await sandbox.workspace.write("B's", to: "b.txt", in: Self.b)
            try await sandbox.link("up", to: "..", in: Self.a)
            await #expect(throws: WorkspaceError.symbolicLink("up")) {
                try await sandbox.workspace.read("up/\(Self.b.rawValue)/b.txt", in: Self.a)
            }
        }
    }

    /// The check is not cached: the same path is walked again on every call.
    @Test func read_refusesALinkCreatedAfterAnEarlierAccess() async throws {
        try await WorkspaceSandbox.with { sandbox in
            let workspace = sandbox.workspace
            #expect(try await workspace.write("inside", to: "d/f", in: Self.a, createDirectories: true) == 6)
            #expect(try await workspace.read("d/f", in: Self.a) == "inside")
            let d = try workspace.directory(for: Self.a).appendingPathComponent("d")
            try FileManager.default.removeItem(at: d)
            #expect(symlink(sandbox.outside.path, d.path) == 0)
            await #expect(throws: WorkspaceError.symbolicLink("d")) { try await workspace.read("d/f", in: Self.a) }
            await #expect(throws: WorkspaceError.symbolicLink("d")) { try await workspace.write("pwned", to: "d/f", in: Self.a) }
            try sandbox.expectOutsideUntouched()
        }
    }

    /// A directory on the path is swapped for a link to the outside while reads and writes run;
    /// whatever interleaving happens, nothing outside is read or written. It samples: 300 rounds
    /// against a flipping directory meet the swap between checking and opening on most runs, not
    /// all, so a pass says no sampled interleaving escaped (the deterministic cases are the other
    /// tests of this suite).
    @Test func operations_neverEscape_sampledWhileADirectoryIsSwappedForALink() async throws {
        try await WorkspaceSandbox.with { sandbox in
            let workspace = sandbox.workspace
            _ = try await workspace.write("inside\n", to: "d/f", in: Self.a, createDirectories: true)
            let d = try workspace.directory(for: Self.a).appendingPathComponent("d").path
            let parked = d + ".parked"
            let outside = sandbox.outside.path
            let stop = StopFlag()
            let flipper = DispatchGroup()
            DispatchQueue.global().async(group: flipper) {
                // Errors are irrelevant here: the readers judge the outcome. The yields keep each
                // state (directory, link) in place a little while, so calls meet both.
                while !stop.isSet {
                    _ = rename(d, parked)
                    _ = symlink(outside, d)
                    for _ in 0..<200 { sched_yield() }
                    _ = unlink(d)
                    _ = rename(parked, d)
                    for _ in 0..<200 { sched_yield() }
                }
            }
            let allowed: [WorkspaceError] = [
                .symbolicLink("d"), .notFound("d"), .notDirectory("d"), .missingDirectory("d"),
            ]
            for round in 0..<300 {
                do throws(WorkspaceError) {
                    #expect(try await workspace.read("d/f", in: Self.a) == "inside\n")
                    _ = try await workspace.write("round \(round)", to: "d/g", in: Self.a)
                } catch {
                    #expect(allowed.contains(error), "unexpected \(error)")
                }
            }
            stop.set()
            await withCheckedContinuation { continuation in flipper.notify(queue: .global()) { continuation.resume() } }
            try sandbox.expectOutsideUntouched()
        }
    }

    @Test func operations_refuseFIFOsAndDevicesWithoutBlocking() async throws {
        try await WorkspaceSandbox.with { sandbox in
            let workspace = sandbox.workspace
            let fifo = try await sandbox.directory(Self.a).appendingPathComponent("fifo")
            #expect(mkfifo(fifo.path, 0o600) == 0)
            try await sandbox.link("null", to: "/dev/null", in: Self.a)
            await #expect(throws: WorkspaceError.notRegularFile("fifo")) { try await workspace.read("fifo", in: Self.a) }
            await #expect(throws: WorkspaceError.notRegularFile("fifo")) { try await workspace.write("x", to: "fifo", in: Self.a) }
            await #expect(throws: WorkspaceError.symbolicLink("null")) { try await workspace.read("null", in: Self.a) }
            await #expect(throws: WorkspaceError.symbolicLink("null")) { try await workspace.write("x", to: "null", in: Self.a) }
            await #expect(throws: WorkspaceError.isDirectory(".")) { try await workspace.read(".", in: Self.a) }
        }
    }

    @Test func read_refusesHardLinkedFiles() async throws {
        try await WorkspaceSandbox.with { sandbox in
            let hard = try await sandbox.directory(Self.a).appendingPathComponent("hard")
            #expect(link(sandbox.outside.appendingPathComponent("secret.txt").path, hard.path) == 0)
            await #expect(throws: WorkspaceError.hardLinked("hard", links: 2)) {
                try await sandbox.workspace.read("hard", in: Self.a)
            }
            // Writing replaces the workspace's name only; the other link keeps its content.
            _ = try await sandbox.workspace.write("mine", to: "hard", in: Self.a)
            #expect(try String(contentsOf: sandbox.outside.appendingPathComponent("secret.txt"), encoding: .utf8) == "the secret\n")
        }
    }
}

/// A flag set by one thread and polled by another.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false  // Guarded by `lock`.
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
