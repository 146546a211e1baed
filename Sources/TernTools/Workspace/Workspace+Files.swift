import Foundation
package import TernCore

#if canImport(Glibc)
    import Glibc
#endif

/// One entry of a ``WorkspaceListing``.
package struct WorkspaceEntry: Sendable, Equatable {
    /// What the entry is; links are reported, never followed.
    package enum Kind: String, Sendable, Equatable {
        case file, directory, symlink, other
    }

    /// The entry's name in its directory.
    package var name: String
    /// What it is.
    package var kind: Kind
    /// Size in bytes, for files.
    package var size: Int?

    /// Builds an entry.
    package init(name: String, kind: Kind, size: Int? = nil) {
        self.name = name
        self.kind = kind
        self.size = size
    }
}

/// The first entries of a directory, sorted by name.
package struct WorkspaceListing: Sendable, Equatable {
    /// The directory, as shown to the model (`.` for the workspace itself).
    package var path: String
    /// At most ``WorkspaceLimits/maxListEntries`` entries, sorted by name.
    package var entries: [WorkspaceEntry]
    /// How many entries the directory has (more than `entries.count` when cut).
    package var total: Int
    /// Entries left out because their names are not UTF-8.
    package var undecodable: Int
}

extension Workspace {
    /// The UTF-8 text of the file at `path`.
    /// - Throws: ``WorkspaceError`` for a path that breaks a rule, a link anywhere on it, a
    ///   directory, FIFO, socket, device or hard-linked file, a file over
    ///   ``WorkspaceLimits/maxReadBytes``, or one that is not UTF-8 text (or contains NUL).
    package func read(_ path: String, in context: ContextID) async throws(WorkspaceError) -> String {
        let components = try Self.components(of: path)
        return try await BlockingWork.run { _ throws(WorkspaceError) in
            try readNow(components, in: context)
        }
    }

    /// The entries of the directory at `path` (`.` for the workspace itself).
    /// - Throws: ``WorkspaceError`` for a path that breaks a rule, a link on it, or a path that
    ///   is not a directory.
    package func list(_ path: String, in context: ContextID) async throws(WorkspaceError) -> WorkspaceListing {
        let components = try Self.components(of: path)
        return try await BlockingWork.run { flag throws(WorkspaceError) in
            try listNow(components, in: context, flag: flag)
        }
    }

    private func readNow(_ components: [String], in context: ContextID) throws(WorkspaceError) -> String {
        let shown = Self.display(components)
        guard let name = components.last else { throw .isDirectory(shown) }
        let base = try WorkspaceFileSystem.openContextDirectory(root: root, context: context)
        let directory = try WorkspaceFileSystem.openDirectory(
            components, count: components.count - 1, from: base, create: false)
        let file = try WorkspaceFileSystem.openRegularFile(named: name, in: directory, shown: shown)
        let size = try WorkspaceFileSystem.status(of: file, shown: shown).size
        let limit = limits.maxReadBytes
        guard size <= limit else { throw .fileTooLarge(shown, bytes: size, limit: limit) }
        let bytes = try WorkspaceFileSystem.readAll(file, limit: limit, sizeHint: size, shown: shown)
        // The file may have grown since fstat.
        guard bytes.count <= limit else { throw .fileTooLarge(shown, bytes: max(size, bytes.count), limit: limit) }
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
            throw .notText(shown)
        }
        return text
    }

    private func listNow(
        _ components: [String], in context: ContextID, flag: CancellationFlag
    ) throws(WorkspaceError) -> WorkspaceListing {
        let shown = Self.display(components)
        let base = try WorkspaceFileSystem.openContextDirectory(root: root, context: context)
        let directory = try WorkspaceFileSystem.openDirectory(
            components, count: components.count, from: base, create: false)
        let (names, undecodable) = try WorkspaceFileSystem.names(in: directory, shown: shown)
        var entries: [WorkspaceEntry] = []
        for name in names.sorted().prefix(limits.maxListEntries) {
            try flag.check()
            let status = try WorkspaceFileSystem.status(
                of: name, in: directory, shown: Self.display(components + [name]))
            switch status.kind {
            case .regular: entries.append(WorkspaceEntry(name: name, kind: .file, size: status.size))
            case .directory: entries.append(WorkspaceEntry(name: name, kind: .directory))
            case .symlink: entries.append(WorkspaceEntry(name: name, kind: .symlink))
            case .other: entries.append(WorkspaceEntry(name: name, kind: .other))
            case .missing: continue  // Removed since the directory was read.
            }
        }
        return WorkspaceListing(path: shown, entries: entries, total: names.count, undecodable: undecodable)
    }

    /// Replaces (or creates) the file at `path` with `content`, atomically: the bytes go to a new
    /// temporary file in the same directory (`O_CREAT|O_EXCL`, never following a link), which is
    /// then renamed over the target. A failure or cancellation leaves the old content in place.
    /// With `createDirectories`, missing parent directories are made (mode 0700).
    /// - Returns: the number of bytes written.
    /// - Throws: ``WorkspaceError`` for content over ``WorkspaceLimits/maxWriteBytes``, a path
    ///   that breaks a rule, a link anywhere on it, a target that is a directory, link or
    ///   special file, or a missing parent without `createDirectories`.
    package func write(
        _ content: String, to path: String, in context: ContextID, createDirectories: Bool = false
    ) async throws(WorkspaceError) -> Int {
        let components = try Self.components(of: path)
        let bytes = Array(content.utf8)
        guard bytes.count <= limits.maxWriteBytes else {
            throw .contentTooLarge(bytes: bytes.count, limit: limits.maxWriteBytes)
        }
        return try await BlockingWork.run { flag throws(WorkspaceError) in
            try writeNow(bytes, to: components, in: context, createDirectories: createDirectories, flag: flag)
        }
    }

    private func writeNow(
        _ bytes: [UInt8], to components: [String], in context: ContextID, createDirectories: Bool,
        flag: CancellationFlag
    ) throws(WorkspaceError) -> Int {
        let shown = Self.display(components)
        guard let name = components.last else { throw .isDirectory(shown) }
        let base = try WorkspaceFileSystem.openContextDirectory(root: root, context: context)
        let directory: OwnedFD
        do {
            directory = try WorkspaceFileSystem.openDirectory(
                components, count: components.count - 1, from: base, create: createDirectories)
        } catch .notFound(let missing) {
            throw .missingDirectory(missing)
        }
        // Replacing a link, directory or special file would hide what it was; refuse instead.
        let existing = try WorkspaceFileSystem.status(of: name, in: directory, shown: shown)
        if existing.kind != .missing {
            try WorkspaceFileSystem.requireRegular(existing, shown: shown, allowHardLinks: true)
        }
        try flag.check()
        let temporary = ".tern-write-\(UUID().uuidString.lowercased()).tmp"
        let fd = openat(directory.raw, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(operation: "create a temporary file for", path: shown, errno: errno) }
        do throws(WorkspaceError) {
            let file = OwnedFD(fd)
            // Keeping the old permission bits is a courtesy; the new file is 0600 otherwise.
            if existing.kind == .regular { _ = fchmod(file.raw, existing.permissions) }
            try WorkspaceFileSystem.writeAll(bytes, to: file, shown: shown)
            guard fsync(file.raw) == 0 else { throw .io(operation: "flush", path: shown, errno: errno) }
            try flag.check()
            // renameat replaces a link at `name` itself; it never writes through one.
            guard renameat(directory.raw, temporary, directory.raw, name) == 0 else {
                throw .io(operation: "replace", path: shown, errno: errno)
            }
        } catch {
            // Best effort: the write already failed; a leftover temporary file only wastes space.
            _ = unlinkat(directory.raw, temporary, 0)
            throw error
        }
        return bytes.count
    }
}
