import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An open file descriptor, closed when the value goes away, so no path can leak one.
struct OwnedFD: ~Copyable {
    /// The descriptor number.
    let raw: Int32

    /// Takes ownership of `raw`, which must be an open descriptor.
    init(_ raw: Int32) { self.raw = raw }

    deinit { _ = Glibc.close(raw) }
}

/// What a directory entry is, seen without following links.
enum EntryKind: Sendable, Equatable {
    /// A regular file.
    case regular
    /// A directory.
    case directory
    /// A symbolic link (not followed).
    case symlink
    /// A FIFO, socket or device.
    case other
    /// Nothing by that name.
    case missing
}

/// The parts of `stat` the workspace needs.
struct EntryStatus: Sendable, Equatable {
    /// What the entry is.
    var kind: EntryKind
    /// Size in bytes (`st_size`).
    var size: Int
    /// Number of hard links (`st_nlink`).
    var links: Int
    /// The permission bits (`st_mode & 0o777`).
    var permissions: mode_t

    /// The status `stat`/`fstatat` reported.
    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        size = Int(info.st_size)
        links = Int(info.st_nlink)
        permissions = info.st_mode & 0o777
    }

    /// The status of a name that does not exist.
    init(missing: Void) {
        kind = .missing
        size = 0
        links = 0
        permissions = 0
    }
}
