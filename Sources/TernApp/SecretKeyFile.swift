import Foundation

/// The server's secret key when `TERN_SECRET_KEY` is not set: 32 random bytes kept in
/// `<data dir>/secret.key` (mode 0600), created on first start. Several replicas sharing one
/// database must share `TERN_SECRET_KEY` instead.
enum SecretKeyFile {
    static func load(dataDir: String) throws -> [UInt8] {
        let path = TernConfig.resolve("secret.key", in: dataDir)
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard data.count >= 32 else {
                throw ConfigError(problems: ["\(path) holds \(data.count) bytes; a secret key needs at least 32"])
            }
            return Array(data)
        }
        try manager.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        // Created with 0600 from the start, and never replaced once it exists.
        guard manager.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw ConfigError(problems: ["cannot create the secret key file \(path)"])
        }
        return bytes
    }
}
