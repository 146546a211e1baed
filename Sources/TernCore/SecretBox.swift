package import Foundation

/// A secret as stored: ciphertext plus the id of the key that sealed it, so keys can rotate.
package struct SealedSecret: Sendable, Equatable, Codable {
    /// Which key sealed it (a fingerprint, not the key).
    package var keyID: String
    /// Nonce, ciphertext and authentication tag, together.
    package var combined: Data

    package init(keyID: String, combined: Data) {
        self.keyID = keyID
        self.combined = combined
    }
}

/// Encrypts secrets at rest (MCP server environment, credentials). `context` is authenticated
/// with the ciphertext (for example `mcp_servers/<id>/env/TOKEN`), so a sealed value copied to
/// another row or field does not open there.
package protocol SecretBox: Sendable {
    /// Seals `plaintext` under the current key.
    func seal(_ plaintext: String, context: String) throws(SecretBoxError) -> SealedSecret
    /// Opens a value sealed under the current key or a previous one.
    func open(_ sealed: SealedSecret, context: String) throws(SecretBoxError) -> String
}

/// Why a secret could not be sealed or opened. Messages never contain the secret.
package enum SecretBoxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Sealed under a key this server does not have (rotated away, or another server's).
    case unknownKey(String)
    /// The ciphertext, its context or its key does not match: changed or moved.
    case tampered
    /// Sealing failed (should not happen with a valid key).
    case sealingFailed(String)

    package var description: String {
        switch self {
        case .unknownKey(let id):
            "secret sealed under key \(id), which this server does not have (was TERN_SECRET_KEY changed?)"
        case .tampered: "secret does not open: it was changed, moved to another field, or sealed under another key"
        case .sealingFailed(let reason): "could not seal a secret: \(reason)"
        }
    }
}
