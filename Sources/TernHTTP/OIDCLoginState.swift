import Crypto
package import Foundation
package import TernCore

/// What a browser's login in progress must bring back to the callback: `state`, `nonce` and the
/// PKCE verifier, kept in a cookie signed with a key derived from the server's secret (HMAC-SHA256),
/// so it cannot be forged or altered, and ending after ``lifetime``.
package struct OIDCLoginState: Sendable, Equatable, Codable {
    /// How long a login may take from `/admin/login` to the callback.
    package static let lifetime: TimeInterval = 600

    package var state: String
    package var nonce: String
    package var verifier: String
    /// Seconds since 1970 after which the cookie is refused.
    package var expires: Int64

    /// A fresh login: random `state`, `nonce` and verifier (each 256 bits).
    package static func make(now: Date) -> OIDCLoginState {
        OIDCLoginState(
            state: AdminSession.makeToken(), nonce: AdminSession.makeToken(), verifier: AdminSession.makeToken(),
            expires: Int64(now.timeIntervalSince1970 + lifetime))
    }

    /// The PKCE S256 challenge of ``verifier``: base64url(SHA-256(verifier)).
    package var challenge: String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded
    }
}

/// Signs and opens the portal's cookie values with an HMAC key derived from the server's secret.
package struct PortalCookieSigner: Sendable {
    private let key: SymmetricKey

    /// - Parameter secretKey: the server's secret (`TERN_SECRET_KEY` or the data dir's key file);
    ///   a key for this purpose alone is derived from it.
    package init(secretKey: [UInt8]) {
        key = SymmetricKey(
            data: HMAC<SHA256>.authenticationCode(for: Data("tern admin portal cookies v1".utf8), using: SymmetricKey(data: secretKey)))
    }

    /// `base64url(JSON).base64url(HMAC)`.
    package func seal(_ login: OIDCLoginState) -> String {
        let payload = (try? JSONEncoder().encode(login)).map { $0.base64URLEncoded } ?? ""  // encoding 3 strings and an Int cannot fail
        return payload + "." + mac(payload)
    }

    /// The login state in `value`, or why it cannot be used.
    package func open(_ value: String, now: Date) throws(OIDCError) -> OIDCLoginState {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, constantTimeEquals(mac(String(parts[0])), parts[1]) else {
            throw .badCallback("the login cookie is not one this server signed; start the login again")
        }
        guard let data = Data(base64URLEncoded: String(parts[0])),
            let login = try? JSONDecoder().decode(OIDCLoginState.self, from: data)  // nil: reported below
        else {
            throw .badCallback("the login cookie cannot be read; start the login again")
        }
        guard now.timeIntervalSince1970 <= Double(login.expires) else {
            throw .badCallback("the login took longer than 10 minutes; start it again")
        }
        return login
    }

    private func mac(_ payload: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: key)).base64URLEncoded
    }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5), as JOSE and PKCE write it.
    package var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Reads base64url with or without padding.
    package init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
