import Crypto
import Foundation
package import TernCore

/// ``SecretBox`` with AES-256-GCM. The key is derived from the server secret
/// (`TERN_SECRET_KEY` or `<data dir>/secret.key`) with HKDF-SHA256, so it differs from the key
/// that hashes API keys; its id is a fingerprint of the derived key. Values sealed under a
/// previous server secret still open when that secret is passed as `previous`.
package struct AESGCMSecretBox: SecretBox {
    private let current: (id: String, key: SymmetricKey)
    private let keys: [String: SymmetricKey]

    /// - Parameters:
    ///   - secretKey: the server secret (at least 32 bytes).
    ///   - previous: earlier server secrets, to open what they sealed.
    package init(secretKey: [UInt8], previous: [[UInt8]] = []) {
        let derived = Self.derive(secretKey)
        current = derived
        var keys = [derived.id: derived.key]
        for old in previous {
            let key = Self.derive(old)
            keys[key.id] = key.key
        }
        self.keys = keys
    }

    /// The id of the key new values are sealed under.
    package var currentKeyID: String { current.id }

    /// Whether a value sealed under key `id` opens here (the current key or a previous one).
    package func hasKey(_ id: String) -> Bool { keys[id] != nil }

    package func seal(_ plaintext: String, context: String) throws(SecretBoxError) -> SealedSecret {
        do {
            let box = try AES.GCM.seal(Data(plaintext.utf8), using: current.key, authenticating: Data(context.utf8))
            guard let combined = box.combined else { throw SecretBoxError.sealingFailed("no combined representation") }
            return SealedSecret(keyID: current.id, combined: combined)
        } catch let error as SecretBoxError {
            throw error
        } catch {
            throw .sealingFailed("\(type(of: error))")
        }
    }

    package func open(_ sealed: SealedSecret, context: String) throws(SecretBoxError) -> String {
        guard let key = keys[sealed.keyID] else { throw .unknownKey(sealed.keyID) }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.combined)
            let plain = try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
            guard let text = String(data: plain, encoding: .utf8) else { throw SecretBoxError.tampered }
            return text
        } catch {
            throw .tampered
        }
    }

    private static func derive(_ secret: [UInt8]) -> (id: String, key: SymmetricKey) {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secret), salt: Data("tern-secret-box".utf8),
            info: Data("aes-256-gcm v1".utf8), outputByteCount: 32)
        let fingerprint = key.withUnsafeBytes { SHA256.hash(data: Data($0)) }
        return (lowercaseHex(fingerprint.prefix(6)), key)
    }
}
