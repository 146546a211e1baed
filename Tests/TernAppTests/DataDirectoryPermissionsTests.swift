import Foundation
import Testing
@testable import TernApp

/// The data directory is private: created 0700, looser modes of it and its database files tightened.
@Suite struct DataDirectoryPermissionsTests {
    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1) & 0o777
    }

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tern-perm-\(UUID().uuidString)").path
    }

    @Test func secure_createsMissingDirectory0700() throws {
        let root = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: root) }  // best-effort temp cleanup
        let dataDir = root + "/data"
        let changes = try DataDirectoryPermissions.secure(dataDir: dataDir, databaseFile: nil)
        #expect(try Self.mode(dataDir) == 0o700)
        #expect(changes == [.init(path: dataDir, from: nil, to: 0o700)])
    }

    @Test func secure_tightensLooseDirectoryAndDatabaseFiles() throws {
        let manager = FileManager.default
        let dataDir = Self.temporaryPath()
        defer { try? manager.removeItem(atPath: dataDir) }  // best-effort temp cleanup
        try manager.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let database = dataDir + "/tern.sqlite"
        let wal = dataDir + "/tern.sqlite-wal"
        let key = dataDir + "/secret.key"
        let other = dataDir + "/notes.txt"
        for file in [database, wal, key, other] {
            #expect(manager.createFile(atPath: file, contents: Data("x".utf8), attributes: [.posixPermissions: 0o644]))
        }
        try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)

        let changes = try DataDirectoryPermissions.secure(dataDir: dataDir, databaseFile: database)

        #expect(try Self.mode(dataDir) == 0o700)
        #expect(try Self.mode(database) == 0o600)
        #expect(try Self.mode(wal) == 0o600)
        #expect(try Self.mode(key) == 0o600)
        #expect(try Self.mode(other) == 0o644, "only Tern's own files are touched")
        #expect(Set(changes.map(\.path)) == [dataDir, database, wal])
        #expect(changes.allSatisfy { $0.failure == nil && $0.from != nil })
        // A second start finds nothing to do.
        #expect(try DataDirectoryPermissions.secure(dataDir: dataDir, databaseFile: database).isEmpty)
    }

    /// A database kept outside the data dir (`sqlite:PATH`) is tightened too.
    @Test func secure_tightensDatabaseOutsideDataDir() throws {
        let manager = FileManager.default
        let root = Self.temporaryPath()
        defer { try? manager.removeItem(atPath: root) }  // best-effort temp cleanup
        try manager.createDirectory(atPath: root, withIntermediateDirectories: true)
        let database = root + "/elsewhere.sqlite"
        #expect(manager.createFile(atPath: database, contents: Data("x".utf8), attributes: [.posixPermissions: 0o664]))
        _ = try DataDirectoryPermissions.secure(dataDir: root + "/data", databaseFile: database)
        #expect(try Self.mode(database) == 0o600)
    }
}
