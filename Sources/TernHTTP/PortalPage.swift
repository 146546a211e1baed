import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The portal's HTML answers until the Mustache pages arrive: tiny, escaped, never cached, no
/// scripts, and no `Referer` leaking a login link or code to another site.
enum PortalPage {
    /// Escapes text for HTML element content and quoted attributes.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A page whose `body` is already HTML (escape every value put into it).
    static func response(status: HTTPResponse.Status = .ok, title: String, body: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        fields[.contentSecurityPolicy] = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        fields[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) · Tern</title></head>
            <body><h1>\(escape(title))</h1>
            \(body)
            </body></html>
            """
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A 4xx/5xx page that says what went wrong and where to go next.
    static func problem(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        response(
            status: status, title: "Sign-in failed",
            body: "<p>\(escape(message))</p>\n<p><a href=\"/admin/login\">Start again</a></p>", headers: headers)
    }

    /// `303 See Other` to `location`.
    static func redirect(to location: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.location] = location
        fields[.cacheControl] = "no-store"
        fields[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: .seeOther, headers: fields)
    }
}

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
