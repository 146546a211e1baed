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

    /// The box sealing under the current key and opening under it and `TERN_SECRET_KEY_PREVIOUS`.
    static func box(_ config: TernConfig) throws -> AESGCMSecretBox {
        AESGCMSecretBox(secretKey: try current(config), previous: config.secretKeyPrevious)
    }

    /// Refuses to go on when a value at rest is sealed under a key this server does not have
    /// (`TERN_SECRET_KEY` changed without the old one in `TERN_SECRET_KEY_PREVIOUS`): every such
    /// value is named, none is shown, and nothing starts half-working.
    static func refuseUnopenable(config: TernConfig, database: any DatabaseHandle, secretKey: [UInt8]) async throws {
        let box = AESGCMSecretBox(secretKey: secretKey, previous: config.secretKeyPrevious)
        let failures = try await SecretsRotation(database: database, box: box).unopenable()
        guard !failures.isEmpty else { return }
        throw ConfigError(
            problems: failures.map(\.description)
                + ["put the key these were sealed under in TERN_SECRET_KEY_PREVIOUS (or back in TERN_SECRET_KEY)"])
    }
}
