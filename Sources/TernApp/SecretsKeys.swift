import Foundation
import TernCore
import TernStore

/// The server's secret keys as the ``SecretBox`` uses them: the current one (`TERN_SECRET_KEY`
/// or `<data dir>/secret.key`) seals, it and the previous ones open.
enum SecretsKeys {
    /// The current server secret.
    static func current(_ config: TernConfig) throws -> [UInt8] {
        try config.secretKey ?? SecretKeyFile.load(dataDir: config.dataDir)
    }

    /// The box sealing under the current key.
    static func box(_ config: TernConfig) throws -> AESGCMSecretBox {
        AESGCMSecretBox(secretKey: try current(config))
    }
}
