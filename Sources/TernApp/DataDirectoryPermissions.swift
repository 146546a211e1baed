import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keeps the data directory private: the directory 0700, the database and key files 0600.
///
/// `tern serve` sets a umask of 077 at start, so every file it creates afterwards (the SQLite
/// database with its `-wal`/`-shm` files, the secret key) is born private; files and the
/// directory from earlier runs or other tools are tightened, and what cannot be tightened is
/// reported for a warning.
enum DataDirectoryPermissions {
    /// What ``secure(dataDir:databaseFile:)`` did about one path.
    struct Change: Equatable, CustomStringConvertible {
        var path: String
        /// The mode found (permission bits only); `nil` when the path was created.
        var from: Int?
        var to: Int
        /// Why the mode could not be set, if it could not.
        var failure: String?

        var description: String {
            let found = from.map { String($0, radix: 8) } ?? "missing"
            return "\(path): \(found) → \(String(to, radix: 8))" + (failure.map { " failed: \($0)" } ?? "")
        }
    }

    /// Makes files the process creates from now on private to its user (`umask 077`).
    static func restrictNewFiles() {
        umask(0o077)
    }

    /// Creates the data directory 0700 if missing and tightens it and the database files in it
    /// (and `databaseFile` with its `-wal`/`-shm` siblings, wherever it lives) to 0700/0600.
    static func secure(dataDir: String, databaseFile: String?) throws -> [Change] {
        let manager = FileManager.default
        var changes: [Change] = []
        var isDirectory: ObjCBool = false
        if !manager.fileExists(atPath: dataDir, isDirectory: &isDirectory) {
            try manager.createDirectory(
                atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            changes.append(Change(path: dataDir, from: nil, to: 0o700))
        } else if isDirectory.boolValue, let change = tighten(dataDir, to: 0o700) {
            changes.append(change)
        }
        var files = ["tern.sqlite", "tern.sqlite-wal", "tern.sqlite-shm", "secret.key"].map {
            URL(fileURLWithPath: dataDir).appendingPathComponent($0).path
        }
        if let databaseFile {
            files += [databaseFile, databaseFile + "-wal", databaseFile + "-shm"]
        }
        for file in Set(files).sorted() where manager.fileExists(atPath: file) {
            if let change = tighten(file, to: 0o600) { changes.append(change) }
        }
        return changes
    }

    /// Clears the group and other bits of `path`; `nil` when there were none.
    private static func tighten(_ path: String, to mode: Int) -> Change? {
        let current: Int
        do {
            guard let found = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int else {
                return Change(path: path, from: nil, to: mode, failure: "its permissions cannot be read")
            }
            current = found & 0o777
        } catch {
            return Change(path: path, from: nil, to: mode, failure: "\(error)")
        }
        guard current & 0o077 != 0 else { return nil }
        do {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            return Change(path: path, from: current, to: mode)
        } catch {
            return Change(path: path, from: current, to: mode, failure: "\(error)")
        }
    }

    /// Logs what ``secure(dataDir:databaseFile:)`` changed: a warning for each path that was
    /// readable by others, an error for each that stays so.
    static func log(_ changes: [Change], logger: Logger) {
        for change in changes {
            let metadata: Logger.Metadata = [
                "path": "\(change.path)", "from": "\(change.from.map { String($0, radix: 8) } ?? "none")",
                "to": "\(String(change.to, radix: 8))",
            ]
            if let failure = change.failure {
                logger.error(
                    "a data file is readable by other users and could not be made private; fix its permissions",
                    metadata: metadata.merging(["error": "\(failure)"]) { $1 })
            } else if change.from != nil {
                logger.warning("a data file was readable by other users; made it private", metadata: metadata)
            } else {
                logger.info("created the data directory", metadata: metadata)
            }
        }
    }
}
