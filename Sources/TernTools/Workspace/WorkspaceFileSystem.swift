import Foundation
import TernCore

#if canImport(Glibc)
    import Glibc
#endif

/// The `openat`-based primitives behind ``Workspace``: every path is walked one component at a
/// time from a directory descriptor, with `O_NOFOLLOW` on each, and what was opened is checked
/// with `fstat`. Errors name the path as the model wrote it (`shown`), never the server's
/// absolute path.
enum WorkspaceFileSystem {
    /// Flags for each directory on a path: a link or non-directory fails the open.
    static let directoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
    /// Flags for a file to read: `O_NONBLOCK` so a FIFO swapped in cannot block the open.
    static let fileFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC

    /// Opens the context's directory, first creating `root` and it (mode 0700) if missing. `root`
    /// is the operator's choice and may be a link; the context directory may not.
    static func openContextDirectory(root: URL, context: ContextID) throws(WorkspaceError) -> OwnedFD {
        try Workspace.validate(context)
        var rootFD = Glibc.open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if rootFD < 0, errno == ENOENT {
            try makeDirectories(root)
            rootFD = Glibc.open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        guard rootFD >= 0 else { throw .io(operation: "open", path: "workspace root", errno: errno) }
        let base = OwnedFD(rootFD)
        return try openDirectory(named: context.rawValue, in: base, shown: ".", create: true)
    }

    /// `mkdir -p` with mode 0700, for the workspace root.
    private static func makeDirectories(_ url: URL) throws(WorkspaceError) {
        var path = ""
        for component in url.pathComponents {
            path = path.isEmpty || path.hasSuffix("/") ? path + component : path + "/" + component
            if mkdir(path, 0o700) != 0, errno != EEXIST {
                throw .io(operation: "create", path: "workspace root", errno: errno)
            }
        }
    }

    /// Walks `components[..<count]` below `start`; returns the last directory (`start` when
    /// `count` is 0). With `create`, missing directories are made with mode 0700.
    static func openDirectory(
        _ components: [String], count: Int, from start: consuming OwnedFD, create: Bool
    ) throws(WorkspaceError) -> OwnedFD {
        var current = start
        for index in 0..<count {
            let next = try openDirectory(
                named: components[index], in: current, shown: Workspace.display(components[...index]),
                create: create)
            current = next
        }
        return current
    }

    /// Opens the directory `name` in `directory`, refusing links and non-directories.
    static func openDirectory(
        named name: String, in directory: borrowing OwnedFD, shown: String, create: Bool = false
    ) throws(WorkspaceError) -> OwnedFD {
        if create, mkdirat(directory.raw, name, 0o700) != 0, errno != EEXIST {
            let code = errno
            if code == ELOOP { throw .symbolicLink(shown) }
            if code == ENOTDIR { throw classify(name, in: directory, shown: shown) }
            throw .io(operation: "create directory", path: shown, errno: code)
        }
        let fd = openat(directory.raw, name, directoryFlags)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw .notFound(shown)
            // With O_NOFOLLOW, ELOOP means the component itself is a link.
            case ELOOP: throw .symbolicLink(shown)
            case ENOTDIR: throw classify(name, in: directory, shown: shown)
            default: throw .io(operation: "open", path: shown, errno: code)
            }
        }
        return OwnedFD(fd)
    }

    /// Opens the regular file `name` in `directory` for reading. Refuses links, directories,
    /// FIFOs, sockets, devices and files with more than one hard link; the decision rests on
    /// `fstat` of the opened descriptor, so a swap after the first look cannot slip through.
    static func openRegularFile(
        named name: String, in directory: borrowing OwnedFD, shown: String
    ) throws(WorkspaceError) -> OwnedFD {
        // A first look without opening, so a device or FIFO is never opened at all.
        try requireRegular(status(of: name, in: directory, shown: shown), shown: shown)
        let fd = openat(directory.raw, name, fileFlags)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw .notFound(shown)
            case ELOOP: throw .symbolicLink(shown)
            default: throw .io(operation: "open", path: shown, errno: code)
            }
        }
        let file = OwnedFD(fd)
        try requireRegular(status(of: file, shown: shown), shown: shown)
        return file
    }

    /// Throws unless `status` is a regular file with one link (or any number, with
    /// `allowHardLinks`: replacing a file by rename leaves its other links untouched).
    static func requireRegular(
        _ status: EntryStatus, shown: String, allowHardLinks: Bool = false
    ) throws(WorkspaceError) {
        switch status.kind {
        case .regular:
            guard allowHardLinks || status.links <= 1 else { throw .hardLinked(shown, links: status.links) }
        case .directory: throw .isDirectory(shown)
        case .symlink: throw .symbolicLink(shown)
        case .other: throw .notRegularFile(shown)
        case .missing: throw .notFound(shown)
        }
    }

    /// Why opening `name` as a directory failed with `ENOTDIR`: a link, something else, or
    /// nothing any more.
    private static func classify(_ name: String, in directory: borrowing OwnedFD, shown: String) -> WorkspaceError {
        do throws(WorkspaceError) {
            switch try status(of: name, in: directory, shown: shown).kind {
            case .symlink: return .symbolicLink(shown)
            case .missing: return .notFound(shown)
            case .regular, .directory, .other: return .notDirectory(shown)
            }
        } catch {
            return error
        }
    }

    /// `fstatat` without following a link; `.missing` when nothing is there.
    static func status(of name: String, in directory: borrowing OwnedFD, shown: String) throws(WorkspaceError)
        -> EntryStatus
    {
        var info = stat()
        guard fstatat(directory.raw, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return EntryStatus(missing: ()) }
            throw .io(operation: "inspect", path: shown, errno: errno)
        }
        return EntryStatus(info)
    }

    /// `fstat` of an open descriptor.
    static func status(of file: borrowing OwnedFD, shown: String) throws(WorkspaceError) -> EntryStatus {
        var info = stat()
        guard fstat(file.raw, &info) == 0 else { throw .io(operation: "inspect", path: shown, errno: errno) }
        return EntryStatus(info)
    }

    /// Reads until end of file or until more than `limit` bytes were read (so a caller can tell
    /// "exactly `limit`" from "more"); `sizeHint` sizes the buffer.
    static func readAll(
        _ file: borrowing OwnedFD, limit: Int, sizeHint: Int, shown: String
    ) throws(WorkspaceError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(max(sizeHint, 0), limit) + 1)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= limit {
            let wanted = min(chunk.count, limit + 1 - bytes.count)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(file.raw, $0.baseAddress, wanted) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "read", path: shown, errno: errno)
            }
            bytes.append(contentsOf: chunk[..<count])
        }
        return bytes
    }

    /// Writes every byte, retrying short writes and `EINTR`.
    static func writeAll(_ bytes: [UInt8], to file: borrowing OwnedFD, shown: String) throws(WorkspaceError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(file.raw, $0.baseAddress! + offset, bytes.count - offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "write", path: shown, errno: errno)
            }
            offset += count
        }
    }

    /// The names in `directory` except `.` and `..`, unsorted, and how many names were not UTF-8
    /// (those are left out: they could not be shown or reopened faithfully).
    static func names(in directory: borrowing OwnedFD, shown: String) throws(WorkspaceError)
        -> (names: [String], undecodable: Int)
    {
        // fdopendir takes over the descriptor it is given, so give it a copy.
        let copy = dup(directory.raw)
        guard copy >= 0 else { throw .io(operation: "list", path: shown, errno: errno) }
        guard let stream = fdopendir(copy) else {
            let code = errno
            _ = Glibc.close(copy)
            throw .io(operation: "list", path: shown, errno: code)
        }
        defer { closedir(stream) }
        var names: [String] = []
        var undecodable = 0
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw .io(operation: "list", path: shown, errno: errno) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(validating: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let name else {
                undecodable += 1
                continue
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return (names, undecodable)
    }
}
