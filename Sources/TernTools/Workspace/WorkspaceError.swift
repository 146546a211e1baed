import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why a workspace path or file operation was refused. Each message names the rule, so the model
/// can see what to change; tools return it as ``TernCore/ToolOutput/error(_:)``.
package enum WorkspaceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The context ID is not `[A-Za-z0-9-]{1,64}`, so it cannot name a directory.
    case invalidContextID(String)
    /// The path is empty.
    case emptyPath
    /// The path starts with `/`.
    case absolutePath(String)
    /// The path starts with `~`; there is no home directory in a workspace.
    case homePath(String)
    /// The path contains NUL or another control character.
    case controlCharacter(String)
    /// The path has a `..` component.
    case parentComponent(String)
    /// The path contains `\`.
    case backslash(String)
    /// The path is longer than ``Workspace/maxPathBytes`` bytes.
    case pathTooLong(bytes: Int, limit: Int)
    /// One component is longer than ``Workspace/maxComponentBytes`` bytes.
    case componentTooLong(bytes: Int, limit: Int)
    /// A component of the path (named) is a symbolic link.
    case symbolicLink(String)
    /// The file (named) is a FIFO, socket or device.
    case notRegularFile(String)
    /// A component that must be a directory (named) is not one.
    case notDirectory(String)
    /// The path names a directory where a file is needed.
    case isDirectory(String)
    /// Nothing exists at the path (named).
    case notFound(String)
    /// A parent directory (named) is missing and `create_directories` was not set.
    case missingDirectory(String)
    /// The file has more than one hard link, so it may be another file's contents.
    case hardLinked(String, links: Int)
    /// The file is larger than read_file reads.
    case fileTooLarge(String, bytes: Int, limit: Int)
    /// The content is larger than write_file writes.
    case contentTooLarge(bytes: Int, limit: Int)
    /// The file is not UTF-8 text.
    case notText(String)
    /// A search query is unusable (empty or spans lines).
    case invalidQuery(String)
    /// A system call failed; `errno` explains why.
    case io(operation: String, path: String, errno: Int32)
    /// The task was cancelled; tools rethrow this as `CancellationError`.
    case cancelled

    /// A one-line message for the model.
    package var description: String {
        switch self {
        case .invalidContextID(let id):
            "context ID \"\(Self.escaped(id))\" cannot name a workspace "
                + "(allowed: A-Z, a-z, 0-9, \"-\"; 1 to 64 characters)"
        case .emptyPath:
            "path is empty; use \".\" for the workspace itself"
        case .absolutePath(let path):
            "path \"\(Self.escaped(path))\" is absolute; paths are relative to the workspace"
        case .homePath(let path):
            "path \"\(Self.escaped(path))\" starts with \"~\"; paths are relative to the workspace"
        case .controlCharacter(let path):
            "path \"\(Self.escaped(path))\" contains a control character (NUL, newline, …)"
        case .parentComponent(let path):
            "path \"\(Self.escaped(path))\" leaves the workspace (\"..\")"
        case .backslash(let path):
            "path \"\(Self.escaped(path))\" contains \"\\\"; separate components with \"/\""
        case .pathTooLong(let bytes, let limit):
            "path is \(bytes) bytes; at most \(limit) are allowed"
        case .componentTooLong(let bytes, let limit):
            "a path component is \(bytes) bytes; at most \(limit) are allowed"
        case .symbolicLink(let path):
            "\"\(Self.escaped(path))\" is a symbolic link; links are not followed"
        case .notRegularFile(let path):
            "\"\(Self.escaped(path))\" is not a regular file (FIFO, socket or device)"
        case .notDirectory(let path):
            "\"\(Self.escaped(path))\" is not a directory"
        case .isDirectory(let path):
            "\"\(Self.escaped(path))\" is a directory; use list_files"
        case .notFound(let path):
            "\"\(Self.escaped(path))\" does not exist"
        case .missingDirectory(let path):
            "directory \"\(Self.escaped(path))\" does not exist; set create_directories to create it"
        case .hardLinked(let path, let links):
            "\"\(Self.escaped(path))\" has \(links) hard links; linked files are not read"
        case .fileTooLarge(let path, let bytes, let limit):
            "\"\(Self.escaped(path))\" is \(bytes) bytes; read_file reads at most \(limit)"
        case .contentTooLarge(let bytes, let limit):
            "content is \(bytes) bytes; write_file writes at most \(limit)"
        case .notText(let path):
            "\"\(Self.escaped(path))\" is not UTF-8 text (binary data); read_file reads text only"
        case .invalidQuery(let reason):
            "invalid query: \(reason)"
        case .io(let operation, let path, let code):
            "could not \(operation) \"\(Self.escaped(path))\": \(String(cString: strerror(code))) (errno \(code))"
        case .cancelled:
            "cancelled"
        }
    }

    /// `text` with control characters shown as `\n`, `\u{0}` …, so a message stays on one line
    /// and a crafted name cannot forge output lines.
    package static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
