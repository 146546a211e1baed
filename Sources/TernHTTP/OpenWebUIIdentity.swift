package import Foundation
package import HTTPTypes
package import TernAgent

/// Open WebUI's forwarded-user headers, read as it writes them.
///
/// With `ENABLE_FORWARD_USER_INFO_HEADERS=true` Open WebUI 0.12 (`utils/headers.py`,
/// `include_user_info_headers`) sends either one signed `X-OpenWebUI-User-Jwt` (when
/// `FORWARD_USER_INFO_HEADER_JWT_SECRET` is set) or the plain `X-OpenWebUI-User-Name/-Id/-Email/-Role`
/// headers, plus `X-OpenWebUI-Chat-Id` on chat requests. Of the plain headers only the name is
/// percent-encoded (`quote(name, safe=' ')`: UTF-8 `%XX`, spaces kept), so only the name is decoded;
/// the email, role and chat id arrive verbatim and are taken verbatim.
package enum OpenWebUIIdentity {
    /// The signed identity (HS256 JWT), sent instead of the plain user headers.
    package static let jwt = HTTPField.Name("X-OpenWebUI-User-Jwt")!
    /// The user's email, verbatim.
    package static let email = HTTPField.Name("X-OpenWebUI-User-Email")!
    /// The user's display name, percent-encoded.
    package static let name = HTTPField.Name("X-OpenWebUI-User-Name")!
    /// The user's Open WebUI role (`admin`, `user`, `pending`), verbatim.
    package static let role = HTTPField.Name("X-OpenWebUI-User-Role")!
    /// The chat the request belongs to, verbatim (a UUID).
    package static let chatID = HTTPField.Name("X-OpenWebUI-Chat-Id")!

    /// Reads what the request says about its user, without trusting any of it yet: the
    /// ``IdentityResolver`` looks at it only when the request carries a trusted proxy key.
    package static func credentials(in headers: HTTPFields) -> ForwardedCredentials {
        let user: Result<ForwardedUser, IdentityError>? = headers[email].map { email in
            Result { () throws(IdentityError) -> ForwardedUser in
                ForwardedUser(email: email, name: try headers[name].map(decodeName), role: headers[role])
            }
        }
        return ForwardedCredentials(token: headers[jwt], user: user, chatID: headers[chatID])
    }

    /// Undoes Open WebUI's percent-encoding of a name; a value without `%` comes back unchanged.
    package static func decodeName(_ raw: String) throws(IdentityError) -> String {
        guard raw.contains("%") else { return raw }
        guard let decoded = raw.removingPercentEncoding else {
            throw .forwardedIdentity(
                "X-OpenWebUI-User-Name is not valid percent-encoding (Open WebUI sends names as UTF-8 %XX escapes; "
                    + "a literal % is %25)")
        }
        return decoded
    }
}
