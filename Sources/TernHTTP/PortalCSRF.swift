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
    /// The origin of `TERN_PUBLIC_URL` (`https://tern.example.com`), lower-cased, if configured.
    private let publicOrigin: String?

    /// - Parameters:
    ///   - secretKey: the server's secret; a key for this purpose alone is derived from it.
    ///   - publicURL: `TERN_PUBLIC_URL`, the address browsers use. A proxy in front of Tern may
    ///     rewrite `Host` (nginx's default `proxy_set_header Host $proxy_host` does), so the
    ///     request's own host cannot be the only origin a form may come from.
    package init(secretKey: [UInt8], publicURL: String? = nil) {
        key = SymmetricKey(
            data: HMAC<SHA256>.authenticationCode(for: Data("tern admin portal csrf v1".utf8), using: SymmetricKey(data: secretKey)))
        publicOrigin = publicURL.flatMap(Self.origin(of:))
    }

    /// `scheme://host[:port]` of `url`, lower-cased, with a default port left out as browsers do.
    package static func origin(of url: String) -> String? {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = parts.host?.lowercased(), !host.isEmpty
        else { return nil }
        let port = parts.port.flatMap { (scheme == "https" && $0 == 443) || (scheme == "http" && $0 == 80) ? nil : $0 }
        return "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
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
        /// This server's origin as the request names it (its scheme and `Host`); the public
        /// URL's origin is accepted too.
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
        // Browsers leave default ports out of `Origin`; a hand-made client may not.
        if let sent = request.origin, case let origin = Self.origin(of: sent) ?? sent.lowercased(),
            origin != request.expectedOrigin.lowercased(), origin != publicOrigin
        {
            let expected = [publicOrigin, request.expectedOrigin].compactMap { $0 }.joined(separator: " or ")
            return "the request came from \(sent), not from this portal (\(expected))"
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
