import Crypto
import Foundation
import TernCore

/// Turns API key secrets into keyed hashes (HMAC-SHA256 under the server's secret key), so a
/// copy of the database alone cannot be used to check guesses offline.
package struct APIKeyHasher: Sendable {
    private let key: SymmetricKey

    /// - Parameter secretKey: at least 32 bytes of the server's secret.
    package init(secretKey: [UInt8]) {
        key = SymmetricKey(data: secretKey)
    }

    /// The hex HMAC of `secret`.
    package func hash(_ secret: String) -> String {
        lowercaseHex(HMAC<SHA256>.authenticationCode(for: Data(secret.utf8), using: key))
    }

    /// The fixed start of every Tern API key, so leaked keys are easy to recognise and scan for.
    package static let scheme = "tern_"
    /// How many characters of a key are stored in clear as its prefix.
    package static let prefixLength = 12

    /// A new random key: `tern_` and 40 letters and digits (about 238 bits).
    package static func makeSecret() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return scheme + String((0..<40).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
