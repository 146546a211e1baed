import Crypto
package import Foundation
package import TernCore

/// The admin portal's defence against cross-site requests: every state-changing request must
/// carry the session's synchronizer token (form field `csrf` or header `X-CSRF-Token`), an
/// HMAC of the session id under a key derived from the server's secret, compared in constant
/// time; and a browser that says where the request comes from (`Sec-Fetch-Site`, `Origin`)
/// must say it comes from this site.
package struct PortalCSRF: Sendable {
    /// The form field that carries the token.
    package static let field = "csrf"
    /// The header that carries the token (portal.js sets it on every fetch).
    package static let header = "X-CSRF-Token"

    private let key: SymmetricKey

    /// - Parameter secretKey: the server's secret; a key for this purpose alone is derived from it.
    package init(secretKey: [UInt8]) {
        key = SymmetricKey(
            data: HMAC<SHA256>.authenticationCode(for: Data("tern admin portal csrf v1".utf8), using: SymmetricKey(data: secretKey)))
    }

    /// The token of a session: the same for the session's whole life, unusable for any other.
    package func token(for sessionID: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(sessionID.utf8), using: key)).base64URLEncoded
    }

    /// What a state-changing request brought along.
    package struct Request: Sendable, Equatable {
        package var sessionID: String
        /// The token in the form field or header, if any.
        package var token: String?
        /// `Origin`, if the browser sent one.
        package var origin: String?
        /// `Sec-Fetch-Site`, if the browser sent one.
        package var fetchSite: String?
        /// This server's origin as the browser sees it (`https://tern.example.com`).
        package var expectedOrigin: String

        package init(sessionID: String, token: String?, origin: String?, fetchSite: String?, expectedOrigin: String) {
            self.sessionID = sessionID
            self.token = token
            self.origin = origin
            self.fetchSite = fetchSite
            self.expectedOrigin = expectedOrigin
        }
    }

    /// Why the request is refused, or `nil` when it may go on.
    package func refusal(_ request: Request) -> String? {
        if let site = request.fetchSite?.lowercased(), site != "same-origin", site != "none" {
            return "the request came from another site (Sec-Fetch-Site: \(site)); the portal only accepts changes made on its own pages"
        }
        if let origin = request.origin, origin.lowercased() != request.expectedOrigin.lowercased() {
            return "the request came from \(origin), not from this portal (\(request.expectedOrigin))"
        }
        guard let token = request.token, !token.isEmpty else {
            return "the form's security token is missing; reload the page and try again"
        }
        guard constantTimeEquals(token, self.token(for: request.sessionID)) else {
            return "the form's security token does not match your session (it may be from an older sign-in); reload the page and try again"
        }
        return nil
    }
}
