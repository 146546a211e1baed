import Hummingbird

/// The portal's cookies: HttpOnly, SameSite=Lax, `Path=/`; with https (``ConnectionWatch/isHTTPS(_:context:)``)
/// also `Secure` and named with the `__Host-` prefix, which browsers only accept from a secure
/// origin, for the whole host and never with a `Domain`.
struct PortalCookie {
    /// The session cookie's base name.
    static let session = "tern_session"
    /// The login-in-progress cookie's base name.
    static let login = "tern_login"

    let secure: Bool

    func name(_ base: String) -> String { secure ? "__Host-" + base : base }

    /// The `Set-Cookie` value.
    func set(_ base: String, value: String, maxAge: Int) -> String {
        "\(name(base))=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// A `Set-Cookie` value that deletes the cookie.
    func clear(_ base: String) -> String { set(base, value: "", maxAge: 0) }

    /// The cookie's value in `request`, read only under the name this scheme uses (over https
    /// a plain-named cookie, which anyone on the network path could have set, is ignored).
    func value(_ base: String, in request: Request) -> String? {
        guard let value = request.cookies[name(base)]?.value, !value.isEmpty else { return nil }
        return value
    }
}
