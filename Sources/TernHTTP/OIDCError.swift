import Foundation

/// Why an OpenID Connect login failed. Each case says what was wrong in words an admin can act
/// on; the portal shows them on a 4xx page (the provider's own failures as 502).
package enum OIDCError: Error, Equatable, CustomStringConvertible {
    /// The `id_token` failed verification (signature, algorithm, issuer, audience, time, nonce).
    case invalidIDToken(String)
    /// The provider's discovery document, key set or token answer could not be used.
    case provider(String)
    /// The browser's login request or callback is not acceptable (state, missing cookie, …).
    case badCallback(String)
    /// The provider refused the authorization (`error=` on the callback) or the code exchange.
    case refused(String)

    package var description: String {
        switch self {
        case .invalidIDToken(let why): "the identity token was rejected: \(why)"
        case .provider(let why): "the identity provider could not be used: \(why)"
        case .badCallback(let why), .refused(let why): why
        }
    }
}
