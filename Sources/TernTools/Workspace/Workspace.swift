package import Foundation
package import TernCore

/// Each context's private directory of files, under `<data dir>/workspaces/<context id>`.
///
/// Paths come from the model, so they are checked twice: lexically (``resolve(_:in:)``: no
/// `..`, no absolute or `~` paths, no control characters or backslashes, bounded length), and
/// then by how files are opened. Operations never open a path string: they walk it one
/// component at a time with `openat` from the context directory's descriptor, with
/// `O_NOFOLLOW` on every component, and check the opened descriptor with `fstat`. A symbolic
/// link anywhere in the path — even one created after an earlier successful access — makes the
/// open fail instead of escaping, and FIFOs, sockets and devices are refused. Nothing outside
/// the context directory (other contexts, logs, the database) can be named.
///
/// The blocking system calls run on a Dispatch queue, off Swift's cooperative pool.
package struct Workspace: Sendable {
    /// Longest path accepted, in UTF-8 bytes.
    package static let maxPathBytes = 1024
    /// Longest path component accepted, in UTF-8 bytes (the usual `NAME_MAX`).
    package static let maxComponentBytes = 255
    /// Longest context ID accepted as a directory name.
    package static let maxContextIDBytes = 64

    /// `<data dir>/workspaces`; one directory per context below it.
    package let root: URL
    /// Size and count limits of the operations.
    package let limits: WorkspaceLimits

    /// A workspace tree under `root` (normally `<data dir>/workspaces`). Nothing is created until
    /// the first operation; then `root` and the context's directory are made with mode 0700.
    package init(root: URL, limits: WorkspaceLimits = WorkspaceLimits()) {
        self.root = root.standardizedFileURL
        self.limits = limits
    }

    /// `root/<context id>`. The directory may not exist yet.
    /// - Throws: ``WorkspaceError/invalidContextID(_:)`` unless the ID is `[A-Za-z0-9-]{1,64}`
    ///   (so it can never contain `/` or be `..`).
    package func directory(for context: ContextID) throws(WorkspaceError) -> URL {
        try Self.validate(context)
        return root.appendingPathComponent(context.rawValue, isDirectory: true)
    }

    /// Where `relative` would be inside the context's workspace, after the lexical checks. Only
    /// for display and for tests: operations never reopen this URL, they walk the components
    /// with `openat` (see the type's documentation).
    /// - Throws: the ``WorkspaceError`` naming the first rule `relative` breaks.
    package func resolve(_ relative: String, in context: ContextID) throws(WorkspaceError) -> URL {
        var url = try directory(for: context)
        for component in try Self.components(of: relative) {
            url.appendPathComponent(component)
        }
        return url
    }

    /// The components of a relative path, with `.` and empty components (`a//b`, `a/`) dropped;
    /// empty for `.`.
    /// - Throws: ``WorkspaceError`` for an empty, absolute or `~` path, NUL or other control
    ///   characters, a backslash, a `..` component, or a path or component that is too long.
    package static func components(of path: String) throws(WorkspaceError) -> [String] {
        let bytes = path.utf8
        guard !bytes.isEmpty else { throw .emptyPath }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) { throw .controlCharacter(path) }
        guard bytes.count <= maxPathBytes else { throw .pathTooLong(bytes: bytes.count, limit: maxPathBytes) }
        if bytes.first == UInt8(ascii: "/") { throw .absolutePath(path) }
        if bytes.first == UInt8(ascii: "~") { throw .homePath(path) }
        if bytes.contains(UInt8(ascii: "\\")) { throw .backslash(path) }
        var components: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == ".." { throw .parentComponent(path) }
            if part == "." { continue }
            guard part.utf8.count <= maxComponentBytes else {
                throw .componentTooLong(bytes: part.utf8.count, limit: maxComponentBytes)
            }
            components.append(String(part))
        }
        return components
    }

    /// Checks that `context` can name a directory: `[A-Za-z0-9-]{1,64}`.
    /// - Throws: ``WorkspaceError/invalidContextID(_:)`` otherwise.
    package static func validate(_ context: ContextID) throws(WorkspaceError) {
        let bytes = context.rawValue.utf8
        let allowed = bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
        guard allowed, (1...maxContextIDBytes).contains(bytes.count) else {
            throw .invalidContextID(context.rawValue)
        }
    }

    /// `components` joined with `/`, or `.` when empty; how paths appear in outputs.
    static func display(_ components: some Collection<String>) -> String {
        components.isEmpty ? "." : components.joined(separator: "/")
    }
}

/// Size and count limits of ``Workspace`` operations.
package struct WorkspaceLimits: Sendable, Equatable {
    /// Largest file read_file returns, in bytes.
    package var maxReadBytes: Int
    /// Largest content write_file writes, in bytes.
    package var maxWriteBytes: Int
    /// Most entries list_files shows; the rest are counted.
    package var maxListEntries: Int
    /// Most files search_files reads.
    package var maxSearchFiles: Int
    /// Larger files are skipped by search_files.
    package var maxSearchFileBytes: Int
    /// search_files stops after this many matching lines.
    package var maxSearchMatches: Int
    /// search_files does not descend deeper than this many directories.
    package var maxSearchDepth: Int

    /// Limits with defaults: 1 MiB reads, writes and searched files; 1000 listed entries;
    /// 5000 searched files; 200 matches; 64 levels deep.
    package init(
        maxReadBytes: Int = 1 << 20, maxWriteBytes: Int = 1 << 20, maxListEntries: Int = 1000,
        maxSearchFiles: Int = 5000, maxSearchFileBytes: Int = 1 << 20, maxSearchMatches: Int = 200,
        maxSearchDepth: Int = 64
    ) {
        self.maxReadBytes = maxReadBytes
        self.maxWriteBytes = maxWriteBytes
        self.maxListEntries = maxListEntries
        self.maxSearchFiles = maxSearchFiles
        self.maxSearchFileBytes = maxSearchFileBytes
        self.maxSearchMatches = maxSearchMatches
        self.maxSearchDepth = maxSearchDepth
    }
}
